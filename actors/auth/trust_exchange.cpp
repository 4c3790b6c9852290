#include "actors/auth/trust_exchange.hpp"

#include "actors/auth/trust_store.hpp"
#include "actors/host/outbound_proxy.hpp"
#include "config/address.hpp"
#include "transport/web_client.hpp"

namespace tp::actors::auth {
namespace {

using nlohmann::json;

tp::status read_string(const json& j, const char* name, std::string& out, bool required) {
  auto it = j.find(name);
  if (it == j.end()) {
    if (required) return make_error(std::string("missing \"") + name + "\"");
    return {};
  }
  if (!it->is_string()) return make_error(std::string("\"") + name + "\" must be a string");
  out = it->get<std::string>();
  return {};
}

tp::status read_strings(const json& j, const char* name, std::vector<std::string>& out) {
  auto it = j.find(name);
  if (it == j.end()) return {};
  if (!it->is_array()) return make_error(std::string("\"") + name + "\" must be a list");
  if (it->size() > 8) return make_error(std::string("\"") + name + "\" has more than 8 keys");
  for (const auto& v : *it) {
    if (!v.is_string()) return make_error(std::string("\"") + name + "\" must list strings");
    out.push_back(v.get<std::string>());
  }
  return {};
}

}  // namespace

json to_json(const messages::validate_trusted_cluster_request& r) {
  return json{{"token", r.token},
              {"cluster_name", r.cluster_name},
              {"host_ca_keys", r.host_ca_keys},
              {"user_ca_keys", r.user_ca_keys},
              {"root_cluster_name", r.root_cluster_name}};
}

tp::result<messages::validate_trusted_cluster_request> parse_trust_request(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("the request is not a JSON object");
  messages::validate_trusted_cluster_request r;
  if (auto s = read_string(j, "token", r.token, true); !s) return s.err();
  if (auto s = read_string(j, "cluster_name", r.cluster_name, true); !s) return s.err();
  if (auto s = read_strings(j, "host_ca_keys", r.host_ca_keys); !s) return s.err();
  if (auto s = read_strings(j, "user_ca_keys", r.user_ca_keys); !s) return s.err();
  if (auto s = read_string(j, "root_cluster_name", r.root_cluster_name, false); !s) return s.err();
  return r;
}

json to_json(const messages::ca_keys& r) {
  return json{{"cluster_name", r.cluster_name},
              {"host_ca_keys", r.host_ca_keys},
              {"user_ca_keys", r.user_ca_keys}};
}

tp::result<messages::ca_keys> parse_trust_reply(const json& j) {
  if (!j.is_object()) return make_error("the reply is not a JSON object");
  messages::ca_keys r;
  if (auto s = read_string(j, "cluster_name", r.cluster_name, true); !s) return s.err();
  if (auto s = read_strings(j, "host_ca_keys", r.host_ca_keys); !s) return s.err();
  if (auto s = read_strings(j, "user_ca_keys", r.user_ca_keys); !s) return s.err();
  return r;
}

tp::result<messages::ca_keys> exchange_trust(const messages::trusted_cluster& tc,
                                             const messages::ca_keys& own,
                                             const trust_exchange_options& options) {
  const auto& name = tc.meta.name;
  if (tc.spec.web_proxy_addr.empty()) {
    return make_error("trusted cluster " + name + ": web_proxy_addr is required");
  }
  if (tc.spec.token.empty()) return make_error("trusted cluster " + name + ": token is required");
  auto addr = config::parse_address(tc.spec.web_proxy_addr, config::address_kind::proxy_web);
  if (!addr) {
    return make_error("trusted cluster " + name + ": web_proxy_addr \"" + tc.spec.web_proxy_addr +
                      "\": " + addr.message());
  }
  transport::web_endpoint ep;
  ep.host = addr->host;
  ep.port = addr->port;
  ep.insecure = options.insecure;
  ep.timeout = options.timeout;
  ep.user_agent = "teleport-auth";
  auto via = outbound_proxy_for(ep.host, ep.port);
  if (!via) return make_error("HTTPS_PROXY/HTTP_PROXY: " + via.message());
  ep.via = std::move(*via);
  messages::validate_trusted_cluster_request req{tc.spec.token, own.cluster_name, own.host_ca_keys,
                                                 own.user_ca_keys, name};
  auto reply = transport::web_request(ep, "POST", trust_validate_path, to_json(req).dump());
  if (!reply) {
    const std::string why = reply.message();
    if (why.find("TLS certificate is not trusted") != std::string::npos) {
      return make_error("the trusted cluster uses misconfigured HTTP/TLS certificate (" + why +
                        "); start teleport with --insecure only to test with a self-signed one");
    }
    return make_error("cannot reach trusted cluster " + name + " at " + ep.to_string() + ": " +
                      why);
  }
  std::string message = transport::error_message_of(reply->body);
  if (reply->status == 401 || reply->status == 403) {
    return make_error("trusted cluster " + name +
                      " refused the token: " + (message.empty() ? "access denied" : message));
  }
  if (reply->status != 200) {
    return make_error("trusted cluster " + name + " at " + ep.to_string() + " answered HTTP " +
                      std::to_string(reply->status) + (message.empty() ? "" : ": " + message));
  }
  auto body = nlohmann::json::parse(reply->body, nullptr, false);
  if (body.is_discarded()) {
    return make_error("trusted cluster " + name + " sent a reply that is not JSON");
  }
  auto cas = parse_trust_reply(body);
  if (!cas) return make_error("trusted cluster " + name + " sent a bad reply: " + cas.message());
  if (auto s = check_trust_reply(*cas, name); !s) return s.err();
  return cas;
}

}  // namespace tp::actors::auth
