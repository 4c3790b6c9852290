#include "config/validate.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "config/values.hpp"

namespace tp::config {
namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool has_space_or_control(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return true;
  }
  return false;
}

bool is_wildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::";
}

class validator {
 public:
  validator(teleport_config& cfg, const origin_map& origins, diagnostics& diag)
      : cfg_(cfg), origins_(origins), diag_(diag) {}

  void run() {
    global();
    storage();
    if (!cfg_.auth_service.enabled && !cfg_.ssh_service.enabled && !cfg_.proxy_service.enabled) {
      error("",
            "no service is enabled: enable at least one of auth_service, ssh_service, "
            "proxy_service (or pass --roles)");
    }
    auth();
    ssh();
    proxy();
    listen_conflicts();
  }

 private:
  void error(std::string_view path, std::string_view message) {
    diag_.error(find_origin(origins_, path), path, message);
  }
  void warning(std::string_view path, std::string_view message) {
    diag_.warning(find_origin(origins_, path), path, message);
  }

  void global() {
    auto& g = cfg_.global;
    if (auto ok = check_nodename(g.nodename); !ok) error("teleport.nodename", ok.message());
    if (g.data_dir.empty()) error("teleport.data_dir", "must not be empty");
    if (!g.auth_token.empty() && g.auth_token.front() == '/') {
      g.auth_token_file = g.auth_token;
      if (auto t = read_token_file(g.auth_token_file)) {
        g.auth_token = std::move(*t);
      } else {
        g.auth_token.clear();
        error("teleport.auth_token", t.message());
      }
    }
    for (std::size_t i = 0; i < g.ca_pin.size(); ++i) {
      if (auto ok = check_ca_pin(g.ca_pin[i]); !ok) {
        error("teleport.ca_pin[" + std::to_string(i) + "]", ok.message());
      }
    }
    if (!g.advertise_ip.empty() && !is_ip_literal(g.advertise_ip)) {
      error("teleport.advertise_ip", "invalid IP address " + quote(g.advertise_ip));
    }
    if (g.auth_servers.empty()) {
      error("teleport.auth_servers", "must list at least one auth server (host:port)");
    }
    if (!g.auth_token.empty() && g.ca_pin.empty() && !cfg_.auth_service.enabled) {
      warning("teleport.ca_pin",
              "joining with a token but without a CA pin: the auth server's identity is not "
              "verified on first contact (see `tctl status` for the pin)");
    }
  }

  void storage() {
    const auto& s = cfg_.global.storage;
    if (s.type == storage_type::etcd) {
      const auto& e = s.etcd;
      if (e.peers.empty())
        error("teleport.storage", "storage type etcd needs \"peers\" (etcd URLs)");
      bool any_https = false;
      for (std::size_t i = 0; i < e.peers.size(); ++i) {
        if (auto ok = check_peer_url(e.peers[i]); !ok) {
          error("teleport.storage.peers[" + std::to_string(i) + "]", ok.message());
        }
        any_https = any_https || e.peers[i].rfind("https://", 0) == 0;
      }
      if (e.tls_cert_file.empty() != e.tls_key_file.empty()) {
        error(e.tls_cert_file.empty() ? "teleport.storage.tls_key_file"
                                      : "teleport.storage.tls_cert_file",
              "tls_cert_file and tls_key_file must be given together");
      } else if (any_https && e.tls_cert_file.empty()) {
        error("teleport.storage",
              "etcd over https needs a client certificate: set tls_cert_file and tls_key_file");
      }
      if (e.prefix.empty()) error("teleport.storage.prefix", "must not be empty");
      if (e.insecure) {
        warning("teleport.storage.insecure", "etcd certificates are not verified (insecure: true)");
      }
    }
    if (s.type == storage_type::dynamodb) {
      const auto& d = s.dynamodb;
      if (d.region.empty()) error("teleport.storage", "storage type dynamodb needs \"region\"");
      if (d.table_name.empty())
        error("teleport.storage", "storage type dynamodb needs \"table_name\"");
      if (d.access_key.empty() != d.secret_key.empty()) {
        error("teleport.storage", "access_key and secret_key must be given together");
      }
      const bool name_ok =
          d.table_name.size() >= 3 && d.table_name.size() <= 255 &&
          std::all_of(d.table_name.begin(), d.table_name.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '_' || c == '-' || c == '.';
          });
      if (!d.table_name.empty() && !name_ok) {
        error("teleport.storage.table_name", "invalid DynamoDB table name " + quote(d.table_name) +
                                                 " (3 to 255 of a-z, A-Z, 0-9, '_', '-' and '.')");
      }
      if (!d.endpoint.empty() && d.endpoint.rfind("http://", 0) != 0 &&
          d.endpoint.rfind("https://", 0) != 0) {
        error("teleport.storage.endpoint",
              "the DynamoDB endpoint must be an http:// or https:// URL, not " + quote(d.endpoint));
      }
    }
  }

  void auth() {
    auto& a = cfg_.auth_service;
    if (has_space_or_control(a.cluster_name) || a.cluster_name.find('/') != std::string::npos) {
      error("auth_service.cluster_name", "invalid cluster name " + quote(a.cluster_name) +
                                             " (no spaces, control characters or '/')");
    }
    auto& u2f = a.authentication.u2f;
    if (a.authentication.second_factor == second_factor_type::u2f) {
      if (u2f.app_id.empty()) {
        error("auth_service.authentication.u2f",
              "second_factor u2f needs u2f.app_id (the URL users open the proxy at)");
      } else if (u2f.facets.empty()) {
        u2f.facets.push_back(u2f.app_id);
      }
    }
    for (std::size_t i = 0; i < a.tokens.size(); ++i) {
      auto& t = a.tokens[i];
      if (!t.from_file()) continue;
      if (auto v = read_token_file(t.file)) {
        t.value = std::move(*v);
        check_secret_file_mode(t.file, "auth_service.tokens[" + std::to_string(i) + "]");
      } else {
        error("auth_service.tokens[" + std::to_string(i) + "]", v.message());
      }
    }
    if (a.license_file.empty()) {
      a.license_file = join(cfg_.global.data_dir, "license.pem");
    } else if (a.license_file.front() != '/') {
      a.license_file = join(cfg_.global.data_dir, a.license_file);
    }
  }

  void check_secret_file_mode(const std::string& file, std::string_view path) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0) {
      warning(path, "token file " + quote(file) + " is readable by every user; chmod 600 it");
    }
  }

  static std::string join(const std::string& dir, const std::string& name) {
    if (dir.empty() || dir.back() == '/') return dir + name;
    return dir + "/" + name;
  }

  void ssh() {
    const auto& s = cfg_.ssh_service;
    std::set<std::string> names;
    for (std::size_t i = 0; i < s.commands.size(); ++i) {
      const auto& c = s.commands[i];
      const std::string path = "ssh_service.commands[" + std::to_string(i) + "]";
      if (c.name.empty()) continue;  // reported by the reader
      if (!names.insert(c.name).second)
        error(path + ".name", "command label " + quote(c.name) + " is defined twice");
      if (s.labels.count(c.name) > 0) {
        error(path + ".name",
              "command label " + quote(c.name) + " clashes with a static label of that name");
      }
    }
    if (s.pam.enabled &&
        (s.pam.service_name.empty() || s.pam.service_name.find('/') != std::string::npos ||
         has_space_or_control(s.pam.service_name))) {
      error(
          "ssh_service.pam.service_name",
          "invalid PAM service name " + quote(s.pam.service_name) + " (a file name in /etc/pam.d)");
    }
  }

  void proxy() {
    const auto& p = cfg_.proxy_service;
    if (p.https_key_file.empty() != p.https_cert_file.empty()) {
      error(p.https_key_file.empty() ? "proxy_service.https_cert_file"
                                     : "proxy_service.https_key_file",
            "https_key_file and https_cert_file must be given together");
    }
  }

  // Two enabled services cannot bind the same port on overlapping addresses.
  void listen_conflicts() {
    struct bound {
      const char* path;
      const address* addr;
    };
    std::vector<bound> all;
    if (cfg_.auth_service.enabled)
      all.push_back({"auth_service.listen_addr", &cfg_.auth_service.listen_addr});
    if (cfg_.ssh_service.enabled)
      all.push_back({"ssh_service.listen_addr", &cfg_.ssh_service.listen_addr});
    if (cfg_.proxy_service.enabled) {
      const auto& p = cfg_.proxy_service;
      all.push_back({"proxy_service.listen_addr", &p.listen_addr});
      all.push_back({"proxy_service.tunnel_listen_addr", &p.tunnel_listen_addr});
      all.push_back({"proxy_service.web_listen_addr", &p.web_listen_addr});
    }
    for (std::size_t i = 0; i < all.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        const address& a = *all[i].addr;
        const address& b = *all[j].addr;
        if (a.port == b.port && (a.host == b.host || is_wildcard(a.host) || is_wildcard(b.host))) {
          error(all[i].path,
                "address " + a.to_string() + " is already used by " + std::string(all[j].path));
        }
      }
    }
  }

  teleport_config& cfg_;
  const origin_map& origins_;
  diagnostics& diag_;
};

}  // namespace

status check_ca_pin(std::string_view pin) {
  constexpr std::string_view prefix = "sha256:";
  if (pin.substr(0, prefix.size()) != prefix) {
    return make_error("invalid CA pin " + quote(pin) +
                      " (expected sha256:<64 hex digits>, see `tctl status`)");
  }
  const std::string_view hex = pin.substr(prefix.size());
  bool ok = hex.size() == 64;
  for (char c : hex) ok = ok && is_hex(c);
  if (!ok) {
    return make_error("invalid CA pin " + quote(pin) + " (expected sha256: and 64 hex digits)");
  }
  return {};
}

status check_nodename(std::string_view name) {
  if (name.empty()) return make_error("node name must not be empty");
  if (name.size() > 255) return make_error("node name is longer than 255 characters");
  if (has_space_or_control(name) || name.find('/') != std::string_view::npos) {
    return make_error("invalid node name " + quote(name) +
                      " (no spaces, control characters or '/')");
  }
  return {};
}

status check_peer_url(std::string_view url) {
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return make_error("invalid etcd peer " + quote(url) +
                      " (expected https://host:port or http://host:port)");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return make_error("invalid etcd peer " + quote(url) + " (no path allowed after host:port)");
  }
  if (auto a = parse_address(rest, 2379); !a) {
    return make_error("invalid etcd peer " + quote(url) + ": " + a.message());
  }
  return {};
}

void validate_config(teleport_config& cfg, const origin_map& origins, diagnostics& diag) {
  validator(cfg, origins, diag).run();
}

}  // namespace tp::config
