#include "actors/proxy/web_routes.hpp"

#include <spdlog/spdlog.h>

#include "actors/auth/trust_exchange.hpp"
#include "messages/timestamp.hpp"

namespace tp::actors {
namespace {

using nlohmann::json;

web_response json_response(int status, const json& body) {
  return web_response{status, "application/json", body.dump()};
}

web_response error_response(int status, const std::string& message) {
  return json_response(status, json{{"error", {{"message", message}}}});
}

// A JSON object body, or nullopt (malformed, not an object).
std::optional<json> object_body(const web_request& req) {
  auto j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::string string_field(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string html_escape(const std::string& in) {
  std::string out;
  for (char ch : in) {
    switch (ch) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

bool valid_token_text(const std::string& t) {
  if (t.empty() || t.size() > 256) return false;
  for (char c : t) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

web_response ping(const web_context& c) {
  return json_response(
      200,
      json{{"auth", {{"type", c.auth_type}, {"second_factor", c.second_factor}}},
           {"proxy",
            {{"ssh", {{"listen_addr", c.ssh_listen_addr}, {"public_addr", c.ssh_public_addr}}}}},
           {"server_version", c.server_version},
           {"cluster_name", c.cluster_name},
           {"proxy_host_key", c.proxy_host_key}});
}

web_response invite(const web_context& c, const std::string& token) {
  if (!valid_token_text(token))
    return error_response(404, "the signup link is invalid or has expired");
  auto info = c.auth->call_as(messages::signup_info_request{token});
  if (!info) return error_response(404, "the signup link is invalid or has expired");
  return json_response(
      200, json{{"user", info->user},
                {"otp_uri", info->otp_uri},
                {"qr_code", info->qr_png_base64},
                {"expires", messages::format_rfc3339(messages::timestamp::from_time_point(
                                std::chrono::system_clock::time_point{
                                    std::chrono::seconds{info->expires_unix}}))}});
}

web_response complete_signup(const web_context& c, const web_request& req) {
  auto body = object_body(req);
  if (!body) return error_response(400, "expected a JSON object");
  messages::complete_signup_request r{string_field(*body, "invite_token"),
                                      string_field(*body, "pass"),
                                      string_field(*body, "second_factor_token")};
  if (!valid_token_text(r.token))
    return error_response(404, "the signup link is invalid or has expired");
  auto done = c.auth->call_as(std::move(r));
  if (!done) {
    const auto& m = done.message();
    if (m.rfind("not found", 0) == 0)
      return error_response(404, "the signup link is invalid or has expired");
    if (m.rfind("bad parameter", 0) == 0) return error_response(400, m.substr(m.find(':') + 2));
    if (m.rfind("access denied", 0) == 0)
      return error_response(403, "the second factor code is not valid");
    if (m.rfind("already exists", 0) == 0) return error_response(409, "this user already exists");
    return error_response(500, "signup failed");
  }
  return json_response(200, json{{"user", done->user}});
}

// Every proxy's SSH host key, this one's first: behind a load balancer tsh's next
// connection may reach any of them. Only this one's if auth cannot say (before 0.3.0).
json proxy_host_keys(const web_context& c) {
  json out = json::array({c.proxy_host_key});
  auto peers = c.auth->call_as(messages::proxy_keys_request{});
  if (!peers) {
    spdlog::debug("web: the other proxies' host keys: {}", peers.message());
    return out;
  }
  for (const auto& k : peers->events) {
    if (k != c.proxy_host_key) out.push_back(k);
  }
  return out;
}

web_response ssh_certs(const web_context& c, const web_request& req) {
  auto body = object_body(req);
  if (!body) return error_response(400, "expected a JSON object");
  messages::ssh_login_request r;
  r.user = string_field(*body, "user");
  r.password = string_field(*body, "password");
  r.otp_code = string_field(*body, "otp_token");
  r.public_key = string_field(*body, "pub_key");
  if (auto it = body->find("ttl"); it != body->end() && it->is_number_integer()) {
    r.ttl_seconds = it->get<std::int64_t>();
    if (r.ttl_seconds < 0) return error_response(400, "ttl must not be negative");
  }
  r.remote_address = req.remote;
  if (r.user.empty() || r.public_key.empty())
    return error_response(400, "user and pub_key are required");
  auto login = c.auth->call_as(std::move(r));
  if (!login) {
    const auto& m = login.message();
    if (m.find("too many failed attempts") != std::string::npos) {
      return error_response(429, "too many failed attempts; try again later");
    }
    if (m.rfind("bad parameter", 0) == 0) return error_response(400, m.substr(m.find(':') + 2));
    if (m.rfind("access denied", 0) == 0) {
      constexpr std::string_view vague = "invalid user name, password or second factor";
      const std::string why = m.substr(m.find(':') + 2);
      // Past the credentials, auth says why the user's roles give no certificate.
      if (why != vague) return error_response(403, why);
      return error_response(401, std::string(vague));
    }
    spdlog::warn("web: login failed: {}", m);
    return error_response(500, "login failed");
  }
  return json_response(
      200, json{{"username", login->user},
                {"cert", login->ssh_certificate},
                {"cluster_name", login->cluster_name},
                {"host_signers", json::array({json{{"cluster_name", login->cluster_name},
                                                   {"checking_keys", login->host_ca_keys}}})},
                {"proxy_host_key", c.proxy_host_key},
                {"proxy_host_keys", proxy_host_keys(c)}});
}

// A leaf cluster asks to be trusted (its auth server runs `tctl create` of a
// trusted_cluster resource naming this proxy's web address).
web_response validate_trusted_cluster(const web_context& c, const web_request& req) {
  auto r = auth::parse_trust_request(req.body);
  if (!r) return error_response(400, r.message());
  const std::string leaf = r->cluster_name;
  auto cas = c.auth->call_as(std::move(*r));
  if (!cas) {
    const auto& m = cas.message();
    spdlog::warn("web: trusted cluster {} from {} refused: {}", leaf, req.remote, m);
    if (m.rfind("access denied", 0) == 0) return error_response(403, m.substr(m.find(':') + 2));
    if (m.rfind("bad parameter", 0) == 0) return error_response(400, m.substr(m.find(':') + 2));
    return error_response(500, "the trust request failed");
  }
  return json_response(200, auth::to_json(*cas));
}

}  // namespace

web_router make_web_router(std::shared_ptr<const web_context> ctx) {
  return [ctx](const web_request& req) -> web_response {
    const std::string path = req.target.substr(0, req.target.find('?'));
    const auto& c = *ctx;
    if (req.method == "GET" && (path == "/webapi/ping" || path == "/v1/webapi/ping"))
      return ping(c);
    static const std::string invites = "/v1/webapi/users/invites/";
    if (req.method == "GET" && path.rfind(invites, 0) == 0) {
      return invite(c, path.substr(invites.size()));
    }
    if (req.method == "POST" && path == "/v1/webapi/users") return complete_signup(c, req);
    if (req.method == "POST" && path == "/v1/webapi/ssh/certs") return ssh_certs(c, req);
    if (req.method == "POST" && path == auth::trust_validate_path) {
      return validate_trusted_cluster(c, req);
    }
    static const std::string newuser = "/web/newuser/";
    if (req.method == "GET" && path.rfind(newuser, 0) == 0) {
      return web_response{200, "text/html; charset=utf-8", signup_page()};
    }
    if (req.method == "GET" && (path == "/" || path == "/web" || path == "/web/")) {
      return web_response{200, "text/html; charset=utf-8",
                          "<!doctype html><title>Teleport</title><p>Teleport proxy for cluster " +
                              html_escape(c.cluster_name) +
                              ". Log in with <code>tsh login</code>.</p>"};
    }
    return error_response(404, "not found");
  };
}

}  // namespace tp::actors
