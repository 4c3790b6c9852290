// The auth role: the cluster's root of trust. Owns the backend and, as later
// pieces land, the certificate authorities, users, tokens and the control plane.
#pragma once

#include <chrono>

#include "config/config.hpp"
#include "messages/result.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors::auth {

// Opens storage and establishes the cluster name before spawning, so that a
// bad data_dir or a changed cluster_name stops the daemon with a clear error.
// One process at a time serves auth on a data_dir (data_dir/auth.lock); after a
// graceful restart the new process waits up to `lock_wait` for the old one.
tp::result<caf::actor> spawn_auth_service(caf::actor_system& sys,
                                          const config::teleport_config& cfg,
                                          std::chrono::milliseconds lock_wait = {});

}  // namespace tp::actors::auth
