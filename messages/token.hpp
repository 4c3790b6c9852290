// `kind: token` — a provisioning (join) token: metadata.name is the secret token value,
// metadata.expires its TTL, spec.roles what a host joining with it may become.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/metadata.hpp"
#include "messages/resource_kind.hpp"

namespace tp::messages {

class map_reader;

// The roles a joining host (or cluster) may assume: `--roles=node,proxy`, "trusted_cluster:..".
enum class system_role : std::uint8_t { auth, node, proxy, trusted_cluster };

// "Auth", "Node", "Proxy", "Trusted_cluster" (as `tctl tokens ls` prints them).
std::string_view to_string(system_role r);
// Case-insensitive; also "trustedcluster".
std::optional<system_role> parse_system_role(std::string_view text);

struct provision_token_spec {
  std::vector<system_role> roles;

  friend bool operator==(const provision_token_spec&, const provision_token_spec&) = default;
};

struct provision_token {
  static constexpr resource_kind kind = resource_kind::token;
  static constexpr std::string_view default_version = "v2";

  std::string version{default_version};
  metadata meta;
  provision_token_spec spec;

  bool allows(system_role r) const;

  friend bool operator==(const provision_token&, const provision_token&) = default;
};

void decode_spec(map_reader& in, provision_token& out);
nlohmann::ordered_json encode_spec(const provision_token& in);
inline void clear_secrets(provision_token&) {}

}  // namespace tp::messages
