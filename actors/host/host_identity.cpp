#include "actors/host/host_identity.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "actors/auth/local_identities.hpp"
#include "actors/client/auth_servers.hpp"
#include "actors/client/join.hpp"
#include "actors/host/auth_list.hpp"

namespace tp::actors {

config::address auth_address(const config::teleport_config& cfg) {
  return auth_addresses(cfg).front();
}

std::vector<config::address> auth_addresses(const config::teleport_config& cfg) {
  if (cfg.auth_service.enabled) {
    config::address a = cfg.auth_service.listen_addr;
    if (a.host == "0.0.0.0" || a.host.empty()) a.host = "127.0.0.1";
    if (a.host == "::") a.host = "::1";
    return {a};
  }
  // What auth last said the cluster's auth servers are takes precedence.
  if (auto learned = read_auth_servers_file(cfg.global.data_dir)) return *learned;
  if (!cfg.global.auth_servers.empty()) return cfg.global.auth_servers;
  return {config::address{"127.0.0.1", config::default_auth_port}};
}

tp::result<identity> load_or_join(const config::teleport_config& cfg, const std::string& role) {
  const auto path = identity_path(cfg.global.data_dir, role);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto id = read_identity(path);
    if (!id) return tp::make_error("the stored " + role + " identity: " + id.message());
    spdlog::info("{}: using the stored identity of host {} in cluster \"{}\"", role, id->host_id,
                 id->cluster_name);
    return id;
  }
  auto host_id = load_or_create_host_id(cfg.global.data_dir);
  if (!host_id) return host_id.err();
  auth_servers auths(auth_addresses(cfg));
  join_params p;
  p.token = cfg.global.auth_token;
  p.ca_pins = cfg.global.ca_pin;
  p.role = role;
  p.host_id = *host_id;
  p.nodename = cfg.global.nodename;
  p.additional_principals = auth::additional_principals(cfg, role);
  auto id = auths.first_that<identity>([&](const config::address& a) {
    p.auth_host = a.host;
    p.auth_port = a.port;
    return join_cluster(p);
  });
  if (!id) return id.err();
  if (auto st = write_identity(path, *id); !st) {
    return tp::make_error("storing the " + role + " identity: " + st.message());
  }
  spdlog::info("{}: joined cluster \"{}\" as host {} via {}", role, id->cluster_name, id->host_id,
               auths.current().to_string());
  return id;
}

}  // namespace tp::actors
