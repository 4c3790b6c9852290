// Identities the auth service issues without a join token: tctl's admin
// identity, and the identities of node and proxy roles running in auth's own
// process (they are as trusted as auth itself).
#pragma once

#include <string>

#include "actors/auth/auth_core.hpp"
#include "actors/identity/identity_file.hpp"
#include "config/config.hpp"

namespace tp::actors::auth {

// How long tctl's admin identity lives; auth rewrites it on every start.
inline constexpr std::chrono::hours admin_identity_ttl{24 * 365};

// Writes <data_dir>/identity/admin.json (0600).
tp::status write_admin_identity(const auth_core& core, const std::string& data_dir);

// For each of node/proxy enabled in `cfg`: issues and stores its identity
// unless one for this cluster is stored already.
tp::status ensure_local_host_identities(auth_core& core, const config::teleport_config& cfg);

// Host names a host's certificates should carry besides its ID and nodename:
// advertise_ip and the public_addr hosts of the role.
std::vector<std::string> additional_principals(const config::teleport_config& cfg,
                                               const std::string& role);

}  // namespace tp::actors::auth
