// The typed, validated configuration of a `teleport` process: what teleport.yaml
// and the `teleport start` flags say, with every default filled in.
// Produced by load_config_file() (load.hpp) or build_config() (start_flags.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/address.hpp"
#include "config/labels.hpp"
#include "config/tokens.hpp"

namespace tp::config {

inline constexpr std::string_view default_config_path = "/etc/teleport.yaml";
inline constexpr std::string_view default_data_dir = "/var/lib/teleport";

// User certificate lifetimes: the default and the bounds a requested TTL is clamped to.
inline constexpr std::chrono::minutes default_user_cert_ttl = std::chrono::hours{23};
inline constexpr std::chrono::minutes min_user_cert_ttl{1};
inline constexpr std::chrono::minutes max_user_cert_ttl = std::chrono::hours{30};

enum class log_output { to_stdout, to_stderr, to_syslog };
enum class log_severity { debug, info, warn, error };
enum class storage_type { embedded, etcd, dynamodb };
enum class auth_type { local, github, saml, oidc };
enum class second_factor_type { off, otp, u2f };
enum class recording_mode { node, proxy, off };

// The spelling used in teleport.yaml ("stderr", "WARN", "etcd", "github", "u2f", "proxy").
std::string_view to_string(log_output v);
std::string_view to_string(log_severity v);
std::string_view to_string(storage_type v);
std::string_view to_string(auth_type v);
std::string_view to_string(second_factor_type v);
std::string_view to_string(recording_mode v);

// gethostname(), or "localhost" if that fails.
std::string local_hostname();

struct log_config {
  log_output output = log_output::to_stderr;
  log_severity severity = log_severity::error;
};

struct connection_limits {
  std::uint64_t max_connections = 15000;
  std::uint64_t max_users = 250;
};

struct etcd_config {
  std::vector<std::string> peers;  // URLs, http:// or https://
  std::string prefix = "teleport";
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  bool insecure = false;  // accept self-signed etcd certificates
};

struct dynamodb_config {
  std::string region;
  std::string table_name;
  std::string access_key;
  std::string secret_key;
  std::string endpoint{};  // "": https://dynamodb.<region>.amazonaws.com
};

struct storage_config {
  storage_type type = storage_type::embedded;
  std::string type_name = "bolt";  // as written: bolt, dir and lmdb all mean `embedded`
  std::string path;                // embedded store location; empty = under data_dir
  etcd_config etcd;
  dynamodb_config dynamodb;
};

// The `teleport:` section.
struct global_config {
  std::string nodename = local_hostname();
  std::string data_dir{default_data_dir};
  std::string pid_file;  // empty = no PID file
  std::string auth_token;
  std::string auth_token_file;      // set when auth_token was given as a /path (value read from it)
  std::vector<std::string> ca_pin;  // "sha256:<64 hex>" each
  std::string advertise_ip;
  std::vector<address> auth_servers{address{"127.0.0.1", default_auth_port}};
  connection_limits limits;
  log_config log;
  storage_config storage;
  std::vector<std::string> ciphers;    // empty = the SSH library's defaults
  std::vector<std::string> kex_algos;  // empty = defaults
  std::vector<std::string> mac_algos;  // empty = defaults
  bool insecure = false;               // --insecure: accept self-signed HTTPS of trusted clusters
  std::optional<address> diag_addr;    // --diag-addr: /metrics, /healthz, /readyz over HTTP
};

struct u2f_config {
  std::string app_id;
  std::vector<std::string> facets;  // validation defaults it to {app_id}
};

struct authentication_config {
  auth_type type = auth_type::local;
  second_factor_type second_factor = second_factor_type::otp;
  u2f_config u2f;
  std::string connector_name;  // empty = the connector named after `type`
};

struct auth_service_config {
  bool enabled = true;
  std::string cluster_name;  // empty = generate one on first start
  authentication_config authentication;
  address listen_addr{"0.0.0.0", default_auth_port};
  std::vector<address> public_addr;
  std::vector<static_token> tokens;
  recording_mode session_recording = recording_mode::node;
  bool proxy_checks_host_keys = true;
  // Disconnect SSH clients idle this long (0: never), and clients whose certificate
  // expired while connected; both announced to the nodes (client.disconnect events).
  std::chrono::milliseconds client_idle_timeout{0};
  bool disconnect_expired_cert = false;
  std::string license_file;  // resolved by validation: relative to data_dir, default license.pem
};

struct pam_config {
  bool enabled = false;
  std::string service_name = "teleport";  // /etc/pam.d/<service_name>
};

struct ssh_service_config {
  bool enabled = true;
  address listen_addr{"0.0.0.0", default_node_ssh_port};
  std::vector<address> public_addr;
  std::map<std::string, std::string> labels;
  std::vector<command_label> commands;
  bool permit_user_env = false;
  pam_config pam;
};

struct proxy_service_config {
  bool enabled = true;
  address listen_addr{"0.0.0.0", default_proxy_ssh_port};
  address tunnel_listen_addr{"0.0.0.0", default_tunnel_port};
  address web_listen_addr{"0.0.0.0", default_web_port};
  std::vector<address> public_addr;         // web (HTTPS) names users reach, port 3080 by default
  std::vector<address> ssh_public_addr;     // port 3023 by default
  std::vector<address> tunnel_public_addr;  // port 3024 by default
  std::string https_key_file;
  std::string https_cert_file;
  bool insecure_no_tls = false;  // --insecure-no-tls: plain HTTP, TLS terminated elsewhere
};

struct teleport_config {
  global_config global;
  auth_service_config auth_service;
  ssh_service_config ssh_service;
  proxy_service_config proxy_service;
  // Things that are accepted but deserve the operator's attention; print them at start.
  std::vector<std::string> warnings;
};

}  // namespace tp::config
