// The auth role: the cluster's root of trust. Owns the backend and, as later
// pieces land, the certificate authorities, users, tokens and the control plane.
#pragma once

#include "config/config.hpp"
#include "messages/result.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors::auth {

// Opens storage and establishes the cluster name before spawning, so that a
// bad data_dir or a changed cluster_name stops the daemon with a clear error.
tp::result<caf::actor> spawn_auth_service(caf::actor_system& sys,
                                          const config::teleport_config& cfg);

}  // namespace tp::actors::auth
