// tsh login | logout | status
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/tsh/commands.hpp"
#include "apps/tsh/known_hosts.hpp"
#include "apps/tsh/prompt.hpp"
#include "apps/tsh/web_client.hpp"
#include "apps/version.hpp"
#include "config/address.hpp"
#include "config/duration.hpp"
#include "messages/access_policy.hpp"
#include "transport/key_files.hpp"
#include "transport/ssh_private_key.hpp"

namespace tp::apps::tsh {

namespace {

using nlohmann::json;

// What /webapi/ping and /v1/webapi/ssh/certs told us, checked.
struct login_answer {
  std::string cluster;
  std::string second_factor = "otp";
  config::address ssh_proxy;
  std::string proxy_host_key;
  // Every proxy's, this one's first (several proxies behind one address).
  std::vector<std::string> proxy_host_keys;
  std::string cert_line;
  std::vector<std::string> host_ca_keys;
};

std::string format_time(std::uint64_t t) {
  if (t == transport::k_cert_forever) return "forever";
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::localtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  return buf;
}

// Lifetimes as Go prints them, to the minute once above one (a login of 12h reads 12h0m0s).
std::string format_remaining(std::chrono::seconds left) {
  auto s = left.count();
  if (s > 60) s = (s + 30) / 60 * 60;
  return config::format_duration(std::chrono::milliseconds(s * 1000));
}

result<std::chrono::seconds> parse_ttl(const std::string& text) {
  if (text.empty()) return std::chrono::seconds(0);
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 7) return make_error("--ttl " + text + " is too long");
    return std::chrono::seconds(std::stol(text) * 60);  // Teleport's old flag counted minutes
  }
  auto d = config::parse_duration(text);
  if (!d) return make_error("--ttl: " + d.message());
  if (d->count() < 0) return make_error("--ttl must not be negative");
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

status read_ping(const json& ping, const config::address& web, login_answer& out) {
  try {
    if (!ping.is_object()) return make_error("the proxy's /webapi/ping answer is not an object");
    out.cluster = ping.value("cluster_name", "");
    if (auto why = client_incompatibility("tsh", apps::version, ping.value("server_version", ""));
        !why.empty() && ping.contains("server_version"))
      return make_error(why);
    out.proxy_host_key = ping.value("proxy_host_key", "");
    if (ping.contains("auth") && ping.at("auth").is_object()) {
      out.second_factor = ping.at("auth").value("second_factor", "otp");
    }
    std::string listen, pub;
    if (ping.contains("proxy") && ping.at("proxy").contains("ssh")) {
      const auto& ssh = ping.at("proxy").at("ssh");
      listen = ssh.value("listen_addr", "");
      pub = ssh.value("public_addr", "");
    }
    // A public address is where users should connect; otherwise the listener's port on
    // the host we already reach the proxy by (the listener may bind 0.0.0.0).
    out.ssh_proxy = {web.host, config::default_proxy_ssh_port};
    if (!pub.empty()) {
      auto a = config::parse_address(pub, config::default_proxy_ssh_port);
      if (!a) return make_error("the proxy announced a bad SSH public_addr: " + a.message());
      out.ssh_proxy = *a;
    } else if (!listen.empty()) {
      auto a = config::parse_address(listen, config::default_proxy_ssh_port);
      if (!a) return make_error("the proxy announced a bad SSH listen_addr: " + a.message());
      out.ssh_proxy.port = a->port;
    }
  } catch (const json::exception& e) {
    return make_error(std::string("the proxy's /webapi/ping answer is malformed: ") + e.what());
  }
  return {};
}

status read_certs(const json& r, login_answer& out) {
  try {
    if (!r.is_object()) return make_error("the proxy's certificate answer is not an object");
    out.cert_line = r.value("cert", "");
    if (auto c = r.value("cluster_name", ""); !c.empty()) out.cluster = c;
    if (auto k = r.value("proxy_host_key", ""); !k.empty()) out.proxy_host_key = k;
    if (r.contains("proxy_host_keys") && r.at("proxy_host_keys").is_array()) {
      for (const auto& k : r.at("proxy_host_keys")) {
        if (k.is_string() && !k.get_ref<const std::string&>().empty())
          out.proxy_host_keys.push_back(k.get<std::string>());
      }
    }
    if (r.contains("host_signers") && r.at("host_signers").is_array()) {
      for (const auto& signer : r.at("host_signers")) {
        if (signer.value("cluster_name", out.cluster) != out.cluster) continue;
        if (!signer.contains("checking_keys")) continue;
        for (const auto& k : signer.at("checking_keys"))
          out.host_ca_keys.push_back(k.get<std::string>());
      }
    }
  } catch (const json::exception& e) {
    return make_error(std::string("the proxy's certificate answer is malformed: ") + e.what());
  }
  if (out.cert_line.empty()) return make_error("the proxy sent no certificate");
  if (out.proxy_host_key.empty()) return make_error("the proxy did not send its SSH host key");
  if (out.proxy_host_keys.empty()) out.proxy_host_keys = {out.proxy_host_key};
  return {};
}

// Loads key + certificate into the running ssh-agent for as long as the certificate lasts.
void add_to_agent(const session& s) {
  if (std::getenv("SSH_AUTH_SOCK") == nullptr) return;
  const auto left = s.remaining().count();
  if (left <= 0) return;
  auto r = run_captured({"ssh-add", "-t", std::to_string(left), s.keys.key.string()},
                        std::chrono::seconds(15), 64 * 1024);
  if (!r || r->exit_code != 0) {
    std::cerr << "warning: could not add the key to ssh-agent: " << (r ? r->err : r.message())
              << "\n";
  }
}

void print_status(const session& s, bool current) {
  const auto left = s.remaining();
  std::string logins;
  for (const auto& p : s.cert.principals) logins += (logins.empty() ? "" : ", ") + p;
  std::string extensions, roles;
  for (const auto& [k, v] : s.cert.extensions) {
    if (k == messages::roles_extension) {
      if (auto names = messages::decode_roles_extension(v)) {
        for (const auto& r : *names) roles += (roles.empty() ? "" : ", ") + r;
      }
      continue;
    }
    if (k == messages::policy_extension) continue;
    extensions += (extensions.empty() ? "" : ", ") + k;
  }
  const std::string validity =
      left.count() > 0 ? "[valid for " + format_remaining(left) + "]" : "[EXPIRED]";
  std::cout << (current ? "> " : "  ") << "Profile URL:  " << s.prof.url() << "\n"
            << "  Logged in as: " << s.prof.user << "\n"
            << "  Cluster:      " << s.prof.cluster << "\n"
            << (roles.empty() ? "" : "  Roles:        " + roles + "\n")
            << "  Logins:       " << logins << "\n"
            << "  Valid until:  " << format_time(s.cert.valid_before) << " " << validity << "\n"
            << "  Extensions:   " << extensions << "\n";
}

}  // namespace

int cmd_login(const global_flags& g, const login_flags& f) {
  auto current = load_current_profile();
  if (!current) std::cerr << "warning: ignoring the current profile: " << current.message() << "\n";
  std::optional<profile> cur = current ? *current : std::nullopt;

  std::string raw = g.proxy;
  if (raw.empty()) {
    if (const char* e = std::getenv("TELEPORT_PROXY"); e != nullptr) raw = e;
  }
  bool plain = raw.rfind("http://", 0) == 0;
  bool from_profile = false;
  std::string proxy = requested_proxy(g);
  if (proxy.empty()) {
    if (!cur) return fail("no proxy to log in to: run tsh login --proxy=<host>[:port]");
    proxy = cur->web_proxy_addr;
    plain = cur->plain_http;
    from_profile = true;
  }
  auto web = config::parse_address(proxy, config::default_web_port);
  if (!web) return fail("--proxy: " + web.message());
  const bool insecure = g.insecure || (from_profile && cur->insecure);
  if (plain && !insecure) {
    return fail(
        "http:// would send your password unencrypted; add --insecure to do that anyway "
        "(test proxies only)");
  }
  std::string user = !g.user.empty() ? g.user : f.user;
  if (user.empty()) {
    if (const char* e = std::getenv("TELEPORT_USER"); e != nullptr) user = e;
  }
  if (user.empty() && cur && cur->name() == web->host) user = cur->user;
  if (user.empty()) user = local_user();
  if (auto s = check_user_name(user); !s) return fail(s.message());
  if (auto s = check_profile_name(web->host); !s) return fail(s.message());
  auto ttl = parse_ttl(f.ttl);
  if (!ttl) return fail(ttl.message());

  web_endpoint ep;
  ep.host = web->host;
  ep.port = web->port;
  ep.tls = !plain;
  ep.insecure = insecure;
  ep.user_agent = std::string("tsh/") + apps::version;
  login_answer ans;
  auto ping = get_json(ep, "/webapi/ping");
  if (!ping) return fail(ping.message());
  if (auto s = read_ping(*ping, *web, ans); !s) return fail(s.message());
  if (ans.second_factor == "u2f") {
    return fail("this cluster asks for a U2F second factor, which this tsh does not support");
  }
  if (insecure && !plain) {
    std::cerr << "WARNING: the proxy's TLS certificate was not verified (--insecure)\n";
  }

  auto password = ask("Enter password for Teleport user " + user + ":", true);
  if (!password) return fail(password.message());
  std::string otp;
  if (ans.second_factor != "off") {
    auto token = ask("Enter your OTP token:", false);
    if (!token) return fail(token.message());
    for (char c : *token) {
      if (c != ' ' && c != '\t') otp += c;
    }
  }
  auto key = transport::key_pair::generate(transport::key_type::ed25519);
  if (!key) return fail("cannot generate a key: " + key.message());
  json body = {{"user", user},
               {"password", *password},
               {"otp_token", otp},
               {"pub_key", key->pub().authorized_key()},
               {"ttl", ttl->count()}};
  std::fill(password->begin(), password->end(), '\0');
  auto certs = post_json(ep, "/v1/webapi/ssh/certs", body);
  body.clear();
  if (!certs) return fail(certs.message());
  if (auto s = read_certs(*certs, ans); !s) return fail(s.message());
  auto cert = transport::parse_certificate_line(ans.cert_line);
  if (!cert) return fail("the proxy sent a malformed certificate: " + cert.message());
  if (!(cert->key == key->pub()) || cert->kind != transport::cert_type::user) {
    return fail("the proxy sent a certificate for a different key");
  }

  session s;
  s.prof.web_proxy_addr = web->to_string();
  s.prof.ssh_proxy_addr = ans.ssh_proxy.to_string();
  s.prof.user = user;
  s.prof.cluster = ans.cluster;
  s.prof.insecure = insecure;
  s.prof.plain_http = plain;
  s.prof.proxy_host_key = ans.proxy_host_key;
  s.keys = keys_of(s.prof);
  s.cert = std::move(*cert);
  std::vector<std::string> proxy_lines;
  for (const auto& k : ans.proxy_host_keys) {
    auto line = proxy_entry(s.prof.name(), ans.ssh_proxy.host, ans.ssh_proxy.port, k);
    if (!line) return fail(line.message());
    proxy_lines.push_back(*line);
  }
  std::vector<std::string> ca_lines;
  for (const auto& k : ans.host_ca_keys) {
    auto line = host_ca_entry(s.prof.name(), ans.cluster, k);
    if (!line) return fail(line.message());
    ca_lines.push_back(*line);
  }

  const std::string comment = "teleport:" + user;
  auto cert_text = transport::certificate_line(s.cert.blob, comment);
  if (!cert_text) return fail(cert_text.message());
  status st = ensure_dirs(s.prof);
  if (st) st = transport::write_openssh_private_key_file(s.keys.key, *key, comment);
  if (st)
    st = transport::write_file_atomically(s.keys.pub, key->pub().authorized_key(comment) + "\n");
  if (st) st = transport::write_file_atomically(s.keys.cert, *cert_text + "\n");
  if (st) st = replace_entries(known_hosts_path(), s.prof.name(), "proxy", proxy_lines);
  if (st) st = replace_entries(known_hosts_path(), s.prof.name(), "ca", ca_lines);
  if (st) st = save_profile(s.prof);
  if (!st) return fail(st.message());
  add_to_agent(s);
  print_status(s, true);
  return 0;
}

int cmd_status(const global_flags& g) {
  auto s = open_session(g);
  if (!s) return fail(s.message());
  print_status(*s, true);
  return 0;
}

int cmd_logout(const global_flags& g) {
  std::optional<profile> p;
  if (const std::string wanted = requested_proxy(g); !wanted.empty()) {
    auto a = config::parse_address(wanted, config::default_web_port);
    if (!a) return fail("--proxy: " + a.message());
    auto loaded = load_profile(a->host);
    if (!loaded) return fail("not logged in to " + a->host);
    p = std::move(*loaded);
  } else {
    auto loaded = load_current_profile();
    if (!loaded) return fail(loaded.message());
    p = std::move(*loaded);
  }
  if (!p) return fail("not logged in");
  const key_paths k = keys_of(*p);
  std::error_code ec;
  if (std::getenv("SSH_AUTH_SOCK") != nullptr && std::filesystem::exists(k.key, ec)) {
    // Removes the key and its certificate; an agent that never had them is fine too.
    (void)run_captured({"ssh-add", "-d", k.key.string()}, std::chrono::seconds(15), 64 * 1024);
  }
  if (auto st = remove_entries(known_hosts_path(), p->name()); !st) return fail(st.message());
  if (auto st = remove_profile(*p); !st) return fail(st.message());
  std::cout << "Logged out " << p->user << " from " << p->name() << ".\n";
  return 0;
}

}  // namespace tp::apps::tsh
