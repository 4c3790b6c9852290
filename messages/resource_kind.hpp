// The resource kinds `tctl get/create/rm` know, by their YAML `kind:` names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tp::messages {

// Order matches the alternatives of tp::messages::resource.
enum class resource_kind : std::uint8_t {
  user,
  role,
  node,
  cert_authority,
  token,
  trusted_cluster,
  github,
  saml,
  oidc,
};

inline constexpr std::size_t resource_kind_count = 9;

// The `kind:` value: "user", "role", "node", "cert_authority", "token", "trusted_cluster",
// "github", "saml", "oidc".
std::string_view to_string(resource_kind k);

// Exact `kind:` names only (what a resource file must say).
std::optional<resource_kind> parse_resource_kind(std::string_view text);

// What an admin may type on the command line (`tctl get users`, `tctl rm cluster/east`):
// exact names, plurals, "cluster(s)" for trusted clusters, "cas"/"cert_authorities".
std::optional<resource_kind> parse_resource_kind_alias(std::string_view text);

// "user, role, node, ..." for error messages.
std::string resource_kind_names();

}  // namespace tp::messages
