// `kind: cert_authority` — one of a cluster's CAs (user or host). Public keys print; private
// keys (signing_keys, tls_key_pairs[].key) are secrets kept only in the backend JSON.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/metadata.hpp"
#include "messages/resource_kind.hpp"
#include "messages/timestamp.hpp"

namespace tp::messages {

class map_reader;

enum class ca_type : std::uint8_t { user, host };

std::string_view to_string(ca_type t);  // "user" / "host"
std::optional<ca_type> parse_ca_type(std::string_view text);

struct tls_key_pair {
  std::string cert;  // PEM certificate (public)
  std::string key;   // PEM private key (secret)

  friend bool operator==(const tls_key_pair&, const tls_key_pair&) = default;
};

// Maps roles of a remote (trusted) cluster onto local roles; "*" matches any remote role.
struct role_mapping {
  std::string remote;
  std::vector<std::string> local;

  friend bool operator==(const role_mapping&, const role_mapping&) = default;
};

// CA rotation progress (`tctl auth rotate`).
struct rotation_schedule {
  timestamp update_clients;
  timestamp update_servers;
  timestamp standby;

  friend bool operator==(const rotation_schedule&, const rotation_schedule&) = default;
};

struct rotation {
  std::string state;       // "" (never rotated), "standby" or "in_progress"
  std::string phase;       // standby, init, update_clients, update_servers, rollback
  std::string mode;        // "", "manual" or "auto"
  std::string current_id;  // identifies the rotation in progress
  timestamp started;
  std::chrono::nanoseconds grace_period{0};
  timestamp last_rotated;
  rotation_schedule schedule;

  friend bool operator==(const rotation&, const rotation&) = default;
};

struct cert_authority_spec {
  ca_type type = ca_type::user;
  std::string cluster_name;                // defaults to metadata.name
  std::vector<std::string> checking_keys;  // public keys, authorized_keys lines
  std::vector<std::string> signing_keys;   // PEM private keys (secret)
  std::vector<tls_key_pair> tls_key_pairs;
  std::vector<std::string> roles;
  std::vector<role_mapping> role_map;
  std::string signing_alg;  // SSH signature algorithm, e.g. "rsa-sha2-512"; "" = key default
  rotation rotation_state;  // YAML key `rotation`

  friend bool operator==(const cert_authority_spec&, const cert_authority_spec&) = default;
};

struct cert_authority {
  static constexpr resource_kind kind = resource_kind::cert_authority;
  static constexpr std::string_view default_version = "v2";

  std::string version{default_version};
  metadata meta;
  cert_authority_spec spec;

  friend bool operator==(const cert_authority&, const cert_authority&) = default;
};

// The accepted signing_alg values (SSH wire names; Teleport's RSA_SHA1/RSA_SHA2_256/
// RSA_SHA2_512 spellings are accepted on input and normalized to these).
inline constexpr std::string_view ssh_signing_algs[] = {
    "ssh-rsa",
    "rsa-sha2-256",
    "rsa-sha2-512",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
};

void decode_spec(map_reader& in, cert_authority& out);
nlohmann::ordered_json encode_spec(const cert_authority& in);
void clear_secrets(cert_authority& r);

// Shared with trusted_cluster.
void decode_role_map(map_reader& in, std::vector<role_mapping>& out);
nlohmann::ordered_json encode_role_map(const std::vector<role_mapping>& in);

}  // namespace tp::messages
