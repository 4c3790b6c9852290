#include "apps/tsh/session.hpp"

#include <nlohmann/json.hpp>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <iostream>

#include "apps/tsh/known_hosts.hpp"
#include "config/address.hpp"
#include "transport/key_files.hpp"

namespace tp::apps::tsh {

namespace {

constexpr std::chrono::seconds k_nodes_timeout{30};
constexpr std::size_t k_max_node_list = 16 << 20;
constexpr std::size_t k_max_event_list = 64 << 20;

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

}  // namespace

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

std::string local_user() {
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') return u;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "root";
}

std::string requested_proxy(const global_flags& g) {
  std::string p = g.proxy;
  if (p.empty()) {
    if (const char* e = std::getenv("TELEPORT_PROXY"); e != nullptr) p = e;
  }
  for (const char* scheme : {"https://", "http://"}) {
    if (p.rfind(scheme, 0) == 0) p.erase(0, std::string_view(scheme).size());
  }
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

ssh_identity session::identity() const {
  return {keys.key, keys.cert, known_hosts_path()};
}

proxy_hop session::hop() const {
  return {prof.ssh_host(), prof.ssh_port(), cluster};
}

std::string session::proxy_login() const {
  return cert.principals.empty() ? prof.user : cert.principals.front();
}

std::chrono::seconds session::remaining() const {
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  if (cert.valid_before == transport::k_cert_forever) return std::chrono::hours(24 * 365 * 100);
  return std::chrono::seconds(static_cast<std::int64_t>(cert.valid_before) - now);
}

result<session> open_session(const global_flags& g) {
  const std::string wanted = requested_proxy(g);
  session s;
  if (!wanted.empty()) {
    auto a = config::parse_address(wanted, config::default_web_port);
    if (!a) return make_error("--proxy: " + a.message());
    auto p = load_profile(a->host);
    if (!p) return make_error("not logged in to " + a->host + ": run tsh login --proxy=" + wanted);
    s.prof = std::move(*p);
  } else {
    auto p = load_current_profile();
    if (!p) return p.err();
    if (!*p) return make_error("not logged in: run tsh login --proxy=<host>");
    s.prof = std::move(**p);
  }
  s.keys = keys_of(s.prof);
  auto line = transport::read_small_file(s.keys.cert, 64 * 1024);
  if (!line) {
    return make_error("not logged in to " + s.prof.name() + " (" + line.message() +
                      "): run tsh login --proxy=" + s.prof.web_proxy_addr);
  }
  auto cert = transport::parse_certificate_line(*line);
  if (!cert) {
    return make_error(s.keys.cert.string() + " is not a certificate (" + cert.message() +
                      "): run tsh login");
  }
  s.cert = std::move(*cert);
  std::string cluster = g.cluster;
  if (cluster.empty()) {
    if (const char* env = std::getenv("TELEPORT_CLUSTER"); env) cluster = env;
  }
  if (!cluster.empty() && cluster != s.prof.cluster) {
    if (!is_safe_host_token(cluster))
      return make_error("--cluster: \"" + cluster + "\" is not a cluster name");
    s.cluster = std::move(cluster);
  }
  return s;
}

status check_not_expired(const session& s) {
  if (s.remaining().count() <= 0) return make_error("your certificate has expired; run tsh login");
  return {};
}

result<std::string> proxy_query(const session& s, const std::string& subsystem,
                                const std::string& what, std::size_t max_output) {
  if (auto st = check_not_expired(s); !st) return st.err();
  auto argv = proxy_ssh_argv(s.identity(), s.hop(), s.proxy_login());
  argv.push_back("-s");
  argv.push_back(subsystem);
  const std::string where =
      "the proxy at " + config::address{s.hop().host, s.hop().port}.to_string();
  auto run = run_captured(argv, k_nodes_timeout, max_output);
  if (!run) return make_error("cannot " + what + " through " + where + ": " + run.message());
  if (run->exit_code != 0) {
    // The proxy's own refusal: {"error": "..."}.
    auto answer = nlohmann::json::parse(run->out.substr(0, run->out.find('\n')), nullptr, false);
    if (answer.is_object() && answer.contains("error") && answer["error"].is_string()) {
      return make_error("cannot " + what + ": " + answer["error"].get<std::string>());
    }
    std::string why = last_line(run->err);
    if (why.empty()) why = "ssh exited with " + std::to_string(run->exit_code);
    if (run->err.find("Host key verification failed") != std::string::npos) {
      why += " (the proxy's SSH host key is not the one pinned at login: run tsh login again)";
    }
    return make_error("cannot " + what + " through " + where + ": " + why);
  }
  return std::move(run->out);
}

result<std::vector<nlohmann::json>> proxy_events(const session& s, const std::string& subsystem,
                                                 const std::string& what) {
  auto out = proxy_query(s, subsystem, what, k_max_event_list);
  if (!out) return out.err();
  auto arr = nlohmann::json::parse(*out, nullptr, false);
  if (!arr.is_array()) return make_error("the proxy sent a malformed answer to " + subsystem);
  std::vector<nlohmann::json> events;
  for (auto& e : arr) {
    if (e.is_object()) events.push_back(std::move(e));
  }
  return events;
}

result<std::vector<node_info>> fetch_nodes(const session& s) {
  auto out = proxy_query(s, s.subsystem("tp-nodes"),
                         s.cluster.empty() ? "list the nodes" : "list the nodes of " + s.cluster,
                         k_max_node_list);
  if (!out) return out.err();
  return parse_nodes(*out);
}

status pin_nodes(const session& s, const std::vector<node_info>& nodes) {
  std::vector<std::string> lines;
  const std::string kind = s.cluster.empty() ? "node" : "node@" + s.cluster;
  for (const auto& n : nodes)
    lines.push_back(node_entry(s.prof.name(), s.target_cluster(), n, kind));
  return replace_entries(known_hosts_path(), s.prof.name(), kind, lines);
}

result<std::vector<node_info>> refresh_nodes(const session& s) {
  auto nodes = fetch_nodes(s);
  if (!nodes) return nodes;
  if (auto st = pin_nodes(s, *nodes); !st) return st.err();
  return nodes;
}

}  // namespace tp::apps::tsh
