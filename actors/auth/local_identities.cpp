#include "actors/auth/local_identities.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "actors/client/join.hpp"

namespace tp::actors::auth {

tp::status write_admin_identity(const auth_core& core, const std::string& data_dir) {
  auto key = transport::x509_private_key::generate();
  if (!key) return key.err();
  const auto now = std::chrono::system_clock::now();
  auto cert = core.issue_tls_cert_pem(key->public_part(), "admin", {"admin"}, {}, now);
  if (!cert) return tp::make_error("issuing the admin identity: " + cert.message());
  auto key_pem = key->to_pem();
  if (!key_pem) return key_pem.err();
  const auto cas = core.public_cas();
  identity id;
  id.role = "admin";
  id.host_id = "admin";
  id.cluster_name = cas.cluster_name;
  id.tls_cert_pem = std::move(*cert);
  id.tls_key_pem = std::move(*key_pem);
  id.tls_ca_pem = cas.tls_ca_pem;
  id.user_ca_keys = cas.user_ca_keys;
  id.host_ca_keys = cas.host_ca_keys;
  return write_identity(identity_path(data_dir, "admin"), id);
}

std::vector<std::string> additional_principals(const config::teleport_config& cfg,
                                               const std::string& role) {
  std::vector<std::string> out;
  auto add = [&](const std::string& h) {
    if (!h.empty() && h != "0.0.0.0" && h != "::" &&
        std::find(out.begin(), out.end(), h) == out.end()) {
      out.push_back(h);
    }
  };
  add(cfg.global.advertise_ip);
  const auto& addrs = role == "proxy" ? cfg.proxy_service.public_addr : cfg.ssh_service.public_addr;
  for (const auto& a : addrs) add(a.host);
  if (role == "node") add(cfg.ssh_service.listen_addr.host);
  if (role == "proxy") {
    for (const auto& a : cfg.proxy_service.ssh_public_addr) add(a.host);
    add("localhost");
  }
  return out;
}

tp::status ensure_local_host_identities(auth_core& core, const config::teleport_config& cfg) {
  const std::string cluster = core.cas().cluster_name;
  for (const std::string role : {"node", "proxy"}) {
    const bool enabled = role == "node" ? cfg.ssh_service.enabled : cfg.proxy_service.enabled;
    if (!enabled) continue;
    const auto path = identity_path(cfg.global.data_dir, role);
    if (auto stored = read_identity(path); stored && stored->cluster_name == cluster) continue;
    auto host_id = load_or_create_host_id(cfg.global.data_dir);
    if (!host_id) return host_id.err();
    auto keys = generate_join_keys();
    if (!keys) return keys.err();
    auto req = make_join_request(*keys, "", role, *host_id, cfg.global.nodename,
                                 additional_principals(cfg, role));
    if (!req) return req.err();
    auto reply = core.join(*req, /*token_checked=*/true, std::chrono::system_clock::now());
    if (auto* err = std::get_if<messages::api_error>(&reply)) {
      return tp::make_error("issuing the " + role + " identity: " + messages::describe(*err));
    }
    auto id = identity_from_join(std::get<messages::join_reply>(reply), *keys, cfg.global.nodename);
    if (!id) return id.err();
    if (auto st = write_identity(path, *id); !st) return st;
    spdlog::info("issued the {} identity for host {} in-process", role, *host_id);
  }
  return {};
}

}  // namespace tp::actors::auth
