#include "config/file_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <set>
#include <utility>

#include "config/duration.hpp"
#include "config/values.hpp"
#include "config/yaml_source.hpp"

namespace tp::config {
namespace {

using keys = std::initializer_list<std::string_view>;

struct field {
  YAML::Node node;
  std::string path;  // "ssh_service.commands[0].period"
  origin where;
};

std::string kind_name(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  if (n.IsScalar()) return "a single value";
  return "nothing";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(std::string_view name, keys known) {
  std::string msg = "unknown key " + quote(name);
  std::string_view best;
  std::size_t best_d = 3;  // suggest only close matches
  for (auto k : known) {
    if (name.size() > 64) break;
    const std::size_t d = edit_distance(to_lower(name), k);
    if (d < best_d) best_d = d, best = k;
  }
  if (!best.empty()) return msg + " (did you mean " + quote(best) + "?)";
  msg += " (expected one of:";
  for (auto k : known) msg += std::string(" ") + std::string(k);
  return msg + ")";
}

class reader {
 public:
  reader(const std::string& source, teleport_config& cfg, origin_map& origins, diagnostics& diag)
      : source_(source), cfg_(cfg), origins_(origins), diag_(diag) {}

  void document(const YAML::Node& root) {
    field top{root, "", origin{source_, 1, 1}};
    for_each_key(top, {"teleport", "auth_service", "ssh_service", "proxy_service"},
                 [&](std::string_view name, const field& f) {
                   if (name == "teleport") global(f);
                   if (name == "auth_service") auth(f);
                   if (name == "ssh_service") ssh(f);
                   if (name == "proxy_service") proxy(f);
                 });
  }

 private:
  origin at(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return origin{source_, 0, 0};
    return origin{source_, m.line + 1, m.column + 1};
  }

  void error(const field& f, std::string_view message) { diag_.error(f.where, f.path, message); }

  // Calls on_key(name, value) for each key of the mapping `f`, after rejecting
  // unknown and duplicate keys. A missing (null) section is an empty mapping.
  template <class F>
  void for_each_key(const field& f, keys known, F&& on_key) {
    if (f.node.IsNull()) return;
    if (!f.node.IsMap()) {
      error(f, "expected a mapping (key: value lines), got " + kind_name(f.node));
      return;
    }
    std::set<std::string> seen;
    for (const auto& kv : f.node) {
      const origin key_at = at(kv.first);
      if (!kv.first.IsScalar()) {
        diag_.error(key_at, f.path, "keys must be plain names, got " + kind_name(kv.first));
        continue;
      }
      const std::string name = kv.first.Scalar();
      const std::string path = f.path.empty() ? name : f.path + "." + name;
      if (!seen.insert(name).second) {
        diag_.error(key_at, path, "duplicate key " + quote(name));
        continue;
      }
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        diag_.error(key_at, path, unknown_key_message(name, known));
        continue;
      }
      // A scalar is reported where it is written. A null value's mark points past
      // the key, and a section's mark at its first entry: the key is clearer there.
      const bool at_value = kv.second.IsScalar() && !kv.second.Mark().is_null();
      field value{kv.second, path, at_value ? at(kv.second) : key_at};
      origins_[path] = value.where;
      on_key(std::string_view(name), value);
    }
  }

  // The scalar text of `f`; nullopt (after reporting) when it is a list or map,
  // and nullopt silently when the value is empty, which keeps the default.
  std::optional<std::string> scalar(const field& f, std::string_view what = "a single value") {
    if (f.node.IsNull()) return std::nullopt;
    if (!f.node.IsScalar()) {
      error(f, "expected " + std::string(what) + ", got " + kind_name(f.node));
      return std::nullopt;
    }
    return f.node.Scalar();
  }

  void get(const field& f, std::string& out) {
    if (auto s = scalar(f, "a string")) out = *s;
  }

  void get(const field& f, bool& out) {
    auto s = scalar(f, "yes or no");
    if (!s) return;
    if (auto b = parse_bool(*s)) {
      out = *b;
    } else {
      error(f, b.message());
    }
  }

  void get(const field& f, std::uint64_t& out) {
    auto s = scalar(f, "a number");
    if (!s) return;
    if (auto n = parse_uint(*s)) {
      out = *n;
    } else {
      error(f, n.message());
    }
  }

  void get(const field& f, address& out, address_kind kind) {
    auto s = scalar(f, "an address (host:port)");
    if (!s) return;
    if (auto a = parse_address(*s, kind)) {
      out = std::move(*a);
    } else {
      error(f, a.message());
    }
  }

  // `choices` maps accepted spellings (lower case) to values; matching ignores case.
  template <class E>
  void get(const field& f, E& out, std::initializer_list<std::pair<std::string_view, E>> choices) {
    auto s = scalar(f);
    if (!s) return;
    const std::string v = to_lower(*s);
    for (const auto& [name, value] : choices) {
      if (v == name) {
        out = value;
        return;
      }
    }
    std::string msg = "invalid value " + quote(*s) + " (expected one of:";
    for (const auto& c : choices) msg += " " + std::string(c.first);
    error(f, msg + ")");
  }

  // Calls on_item for each element of a list. A single value is accepted as a
  // one-element list where `allow_single` says so (ca_pin, public_addr).
  template <class F>
  void for_each_item(const field& f, bool allow_single, F&& on_item) {
    if (f.node.IsNull()) return;
    if (f.node.IsScalar() && allow_single) {
      on_item(f);
      return;
    }
    if (!f.node.IsSequence()) {
      error(f, "expected a list, got " + kind_name(f.node));
      return;
    }
    std::size_t i = 0;
    for (const auto& item : f.node) {
      field element{item, f.path + "[" + std::to_string(i++) + "]", at(item)};
      // A null item's mark points past it; the list's key is the better place.
      if (element.where.line == 0 || item.IsNull()) element.where = f.where;
      origins_[element.path] = element.where;
      on_item(element);
    }
  }

  // Lists replace the default only when every item is good: a partial list
  // would just cause follow-on errors.
  void get_strings(const field& f, std::vector<std::string>& out, bool allow_single = false) {
    std::vector<std::string> items;
    bool all_good = true;
    for_each_item(f, allow_single, [&](const field& e) {
      auto s = e.node.IsNull() ? std::optional<std::string>("") : scalar(e, "a string");
      if (s && !s->empty()) {
        items.push_back(*s);
      } else {
        if (s) error(e, "empty value");
        all_good = false;
      }
    });
    if (!f.node.IsNull() && all_good) out = std::move(items);
  }

  void get_addresses(const field& f, std::vector<address>& out, address_kind kind) {
    std::vector<address> items;
    bool all_good = true;
    for_each_item(f, true, [&](const field& e) {
      auto s =
          e.node.IsNull() ? std::optional<std::string>("") : scalar(e, "an address (host:port)");
      auto parsed = s ? parse_address(*s, kind) : result<address>(make_error(""));
      if (parsed) {
        items.push_back(std::move(*parsed));
      } else {
        if (s) error(e, parsed.message());
        all_good = false;
      }
    });
    if (!f.node.IsNull() && all_good) out = std::move(items);
  }

  void get_duration(const field& f, std::chrono::milliseconds& out) {
    auto s = scalar(f, "a duration");
    if (!s) return;
    if (auto d = parse_duration(*s)) {
      out = *d;
    } else {
      error(f, d.message());
    }
  }

  void global(const field& section) {
    auto& g = cfg_.global;
    for_each_key(
        section,
        {"nodename", "data_dir", "pid_file", "auth_token", "ca_pin", "advertise_ip", "auth_servers",
         "connection_limits", "log", "storage", "ciphers", "kex_algos", "mac_algos", "ssh_service"},
        [&](std::string_view name, const field& f) {
          if (name == "nodename") get(f, g.nodename);
          if (name == "data_dir") get(f, g.data_dir);
          if (name == "pid_file") get(f, g.pid_file);
          if (name == "auth_token") get(f, g.auth_token);
          if (name == "ca_pin") get_strings(f, g.ca_pin, true);
          if (name == "advertise_ip") get(f, g.advertise_ip);
          if (name == "auth_servers") get_addresses(f, g.auth_servers, address_kind::auth);
          if (name == "connection_limits") limits(f);
          if (name == "log") log(f);
          if (name == "storage") storage(f);
          if (name == "ciphers") get_strings(f, g.ciphers);
          if (name == "kex_algos") get_strings(f, g.kex_algos);
          if (name == "mac_algos") get_strings(f, g.mac_algos);
          if (name == "ssh_service") {
            // The manual's PAM example nests ssh_service here; read it as intended.
            diag_.warning(f.where, f.path,
                          "ssh_service belongs at the top level of the file, not under "
                          "teleport:; reading it as if it were there");
            ssh(f);
          }
        });
  }

  void limits(const field& section) {
    auto& l = cfg_.global.limits;
    for_each_key(section, {"max_connections", "max_users"},
                 [&](std::string_view name, const field& f) {
                   if (name == "max_connections") get(f, l.max_connections);
                   if (name == "max_users") get(f, l.max_users);
                 });
  }

  void log(const field& section) {
    auto& l = cfg_.global.log;
    for_each_key(section, {"output", "severity"}, [&](std::string_view name, const field& f) {
      if (name == "output") {
        get(f, l.output,
            {{"stdout", log_output::to_stdout},
             {"stderr", log_output::to_stderr},
             {"syslog", log_output::to_syslog}});
      }
      if (name == "severity") {
        get(f, l.severity,
            {{"debug", log_severity::debug},
             {"info", log_severity::info},
             {"warn", log_severity::warn},
             {"warning", log_severity::warn},
             {"error", log_severity::error},
             {"err", log_severity::error}});
      }
    });
  }

  void storage(const field& section) {
    auto& s = cfg_.global.storage;
    // Keys only meaningful for one backend: checked against `type` once it is known.
    std::vector<std::pair<std::string, origin>> etcd_keys, dynamo_keys;
    bool type_ok = true;  // after a bad type, per-backend key checks would only add noise
    for_each_key(
        section,
        {"type", "path", "peers", "prefix", "tls_cert_file", "tls_key_file", "tls_ca_file",
         "insecure", "region", "table_name", "access_key", "secret_key", "endpoint"},
        [&](std::string_view name, const field& f) {
          if (name == "type") {
            auto v = scalar(f);
            if (!v) return;
            const std::string t = to_lower(*v);
            if (t == "bolt" || t == "dir" || t == "lmdb") {
              s.type = storage_type::embedded;
              s.type_name = t;
            } else if (t == "etcd" || t == "dynamodb") {
              s.type = t == "etcd" ? storage_type::etcd : storage_type::dynamodb;
              s.type_name = t;
            } else {
              type_ok = false;
              error(f, "invalid storage type " + quote(*v) +
                           " (expected one of: bolt dir lmdb etcd dynamodb)");
            }
          }
          if (name == "path") get(f, s.path);
          if (name == "peers") get_strings(f, s.etcd.peers, true);
          if (name == "prefix") get(f, s.etcd.prefix);
          if (name == "tls_cert_file") get(f, s.etcd.tls_cert_file);
          if (name == "tls_key_file") get(f, s.etcd.tls_key_file);
          if (name == "tls_ca_file") get(f, s.etcd.tls_ca_file);
          if (name == "insecure") get(f, s.etcd.insecure);
          if (name == "region") get(f, s.dynamodb.region);
          if (name == "table_name") get(f, s.dynamodb.table_name);
          if (name == "access_key") get(f, s.dynamodb.access_key);
          if (name == "secret_key") get(f, s.dynamodb.secret_key);
          if (name == "endpoint") get(f, s.dynamodb.endpoint);
          static constexpr std::string_view etcd_only[] = {
              "peers", "prefix", "tls_cert_file", "tls_key_file", "tls_ca_file", "insecure"};
          static constexpr std::string_view dynamo_only[] = {"region", "table_name", "access_key",
                                                             "secret_key", "endpoint"};
          if (std::find(std::begin(etcd_only), std::end(etcd_only), name) != std::end(etcd_only)) {
            etcd_keys.emplace_back(f.path, f.where);
          }
          if (std::find(std::begin(dynamo_only), std::end(dynamo_only), name) !=
              std::end(dynamo_only)) {
            dynamo_keys.emplace_back(f.path, f.where);
          }
        });
    if (type_ok && s.type != storage_type::etcd) {
      for (const auto& [path, where] : etcd_keys) {
        diag_.error(where, path, "only valid with storage type etcd (type is " + s.type_name + ")");
      }
    }
    if (type_ok && s.type != storage_type::dynamodb) {
      for (const auto& [path, where] : dynamo_keys) {
        diag_.error(where, path,
                    "only valid with storage type dynamodb (type is " + s.type_name + ")");
      }
    }
  }

  void auth(const field& section) {
    auto& a = cfg_.auth_service;
    for_each_key(
        section,
        {"enabled", "cluster_name", "authentication", "listen_addr", "public_addr", "tokens",
         "session_recording", "proxy_checks_host_keys", "license_file", "client_idle_timeout",
         "disconnect_expired_cert"},
        [&](std::string_view name, const field& f) {
          if (name == "enabled") get(f, a.enabled);
          if (name == "cluster_name") get(f, a.cluster_name);
          if (name == "authentication") authentication(f);
          if (name == "listen_addr") get(f, a.listen_addr, address_kind::auth);
          if (name == "public_addr") get_addresses(f, a.public_addr, address_kind::auth);
          if (name == "tokens") tokens(f);
          if (name == "session_recording") {
            get(f, a.session_recording,
                {{"node", recording_mode::node},
                 {"proxy", recording_mode::proxy},
                 {"off", recording_mode::off}});
          }
          if (name == "proxy_checks_host_keys") get(f, a.proxy_checks_host_keys);
          if (name == "license_file") get(f, a.license_file);
          if (name == "client_idle_timeout") {
            if (f.node.IsScalar() && (f.node.Scalar() == "never" || f.node.Scalar() == "0")) {
              a.client_idle_timeout = std::chrono::milliseconds(0);
            } else {
              get_duration(f, a.client_idle_timeout);
            }
          }
          if (name == "disconnect_expired_cert") get(f, a.disconnect_expired_cert);
        });
  }

  void authentication(const field& section) {
    auto& a = cfg_.auth_service.authentication;
    for_each_key(section, {"type", "second_factor", "u2f", "connector_name"},
                 [&](std::string_view name, const field& f) {
                   if (name == "type") {
                     get(f, a.type,
                         {{"local", auth_type::local},
                          {"github", auth_type::github},
                          {"saml", auth_type::saml},
                          {"oidc", auth_type::oidc}});
                   }
                   if (name == "second_factor") {
                     // Scalars stay text here, so a bare `off` is the mode, not YAML 1.1's false.
                     get(f, a.second_factor,
                         {{"off", second_factor_type::off},
                          {"otp", second_factor_type::otp},
                          {"u2f", second_factor_type::u2f}});
                   }
                   if (name == "connector_name") get(f, a.connector_name);
                   if (name == "u2f") {
                     for_each_key(f, {"app_id", "facets"},
                                  [&](std::string_view key, const field& u) {
                                    if (key == "app_id") get(u, a.u2f.app_id);
                                    if (key == "facets") get_strings(u, a.u2f.facets, true);
                                  });
                   }
                 });
  }

  void tokens(const field& f) {
    // A bad entry still takes its slot (empty, so validation skips it): indices
    // must match the file for later messages. The config is discarded anyway.
    std::vector<static_token> out;
    for_each_item(f, false, [&](const field& e) {
      out.emplace_back();
      if (e.node.IsNull()) return error(e, "empty token");
      auto s = scalar(e, "a token string such as \"node:secret\"");
      if (!s) return;
      if (auto t = parse_static_token(*s)) {
        out.back() = std::move(*t);
      } else {
        error(e, t.message());
      }
    });
    if (!f.node.IsNull()) cfg_.auth_service.tokens = std::move(out);
  }

  void ssh(const field& section) {
    auto& s = cfg_.ssh_service;
    for_each_key(
        section,
        {"enabled", "listen_addr", "public_addr", "labels", "commands", "permit_user_env", "pam"},
        [&](std::string_view name, const field& f) {
          if (name == "enabled") get(f, s.enabled);
          if (name == "listen_addr") get(f, s.listen_addr, address_kind::node_ssh);
          if (name == "public_addr") get_addresses(f, s.public_addr, address_kind::node_ssh);
          if (name == "labels") labels(f);
          if (name == "commands") commands(f);
          if (name == "permit_user_env") get(f, s.permit_user_env);
          if (name == "pam") {
            for_each_key(f, {"enabled", "service_name"}, [&](std::string_view key, const field& p) {
              if (key == "enabled") get(p, s.pam.enabled);
              if (key == "service_name") get(p, s.pam.service_name);
            });
          }
        });
  }

  void labels(const field& f) {
    if (f.node.IsNull()) return;
    if (!f.node.IsMap()) {
      error(f, "expected a mapping of label: value, got " + kind_name(f.node));
      return;
    }
    std::map<std::string, std::string> out;
    for (const auto& kv : f.node) {
      field key{kv.first, f.path, at(kv.first)};
      auto name = scalar(key, "a label name");
      if (!name) continue;
      key.path = f.path + "." + *name;
      if (auto ok = check_label_key(*name); !ok) {
        error(key, ok.message());
        continue;
      }
      field value{kv.second, key.path, kv.second.IsNull() ? key.where : at(kv.second)};
      origins_[key.path] = value.where;
      std::string v;
      get(value, v);
      if (!out.emplace(*name, std::move(v)).second) error(key, "duplicate label " + quote(*name));
    }
    cfg_.ssh_service.labels = std::move(out);
  }

  void commands(const field& f) {
    // Like tokens, a bad entry keeps its slot so indices match the file.
    std::vector<command_label> out;
    for_each_item(f, false, [&](const field& e) {
      command_label& c = out.emplace_back();
      if (e.node.IsNull()) return error(e, "empty list item (expected name, command and period)");
      bool has_name = false, has_command = false, has_period = false;
      for_each_key(e, {"name", "command", "period"}, [&](std::string_view key, const field& v) {
        if (key == "name") {
          get(v, c.name);
          has_name = true;
          if (auto ok = check_label_key(c.name); !ok) error(v, ok.message());
        }
        if (key == "command") {
          has_command = true;
          if (v.node.IsScalar()) {  // "uname -p" is split like a shell would
            auto argv = split_command(v.node.Scalar());
            if (argv)
              c.command = std::move(*argv);
            else
              error(v, argv.message());
          } else {
            get_strings(v, c.command);
          }
        }
        if (key == "period") {
          has_period = true;
          get_duration(v, c.period);
          if (c.period < min_label_period && v.node.IsScalar() && parse_duration(v.node.Scalar())) {
            error(v, "period must be at least 1s");
          }
        }
      });
      if (!e.node.IsMap()) return;  // already reported
      if (!has_name) error(e, "missing \"name\"");
      if (!has_command) error(e, "missing \"command\"");
      if (has_command && c.command.empty()) error(e, "empty \"command\"");
      if (!has_period) error(e, "missing \"period\" (e.g. 1m or 1h0m0s)");
    });
    if (!f.node.IsNull()) cfg_.ssh_service.commands = std::move(out);
  }

  void proxy(const field& section) {
    auto& p = cfg_.proxy_service;
    for_each_key(section,
                 {"enabled", "listen_addr", "tunnel_listen_addr", "web_listen_addr", "public_addr",
                  "ssh_public_addr", "tunnel_public_addr", "https_key_file", "https_cert_file"},
                 [&](std::string_view name, const field& f) {
                   if (name == "enabled") get(f, p.enabled);
                   if (name == "listen_addr") get(f, p.listen_addr, address_kind::proxy_ssh);
                   if (name == "tunnel_listen_addr")
                     get(f, p.tunnel_listen_addr, address_kind::proxy_tunnel);
                   if (name == "web_listen_addr")
                     get(f, p.web_listen_addr, address_kind::proxy_web);
                   if (name == "public_addr")
                     get_addresses(f, p.public_addr, address_kind::proxy_web);
                   if (name == "ssh_public_addr")
                     get_addresses(f, p.ssh_public_addr, address_kind::proxy_ssh);
                   if (name == "tunnel_public_addr") {
                     get_addresses(f, p.tunnel_public_addr, address_kind::proxy_tunnel);
                   }
                   if (name == "https_key_file") get(f, p.https_key_file);
                   if (name == "https_cert_file") get(f, p.https_cert_file);
                 });
  }

  const std::string& source_;
  teleport_config& cfg_;
  origin_map& origins_;
  diagnostics& diag_;
};

}  // namespace

void parse_config_yaml(std::string_view text, const std::string& source, teleport_config& cfg,
                       origin_map& origins, diagnostics& diag) {
  origins[""] = origin{source, 0, 0};
  auto root = load_yaml_document(text, source, diag);
  if (!root || !root->IsDefined() || root->IsNull()) return;  // bad YAML, or empty: defaults
  try {
    reader(source, cfg, origins, diag).document(*root);
  } catch (const YAML::Exception& e) {  // not expected: all access is type-checked first
    diag.error(origin{source, 0, 0}, "", "cannot read YAML: " + e.msg);
  }
}

}  // namespace tp::config
