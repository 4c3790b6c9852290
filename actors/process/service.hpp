// Spawning the service actor of one role (auth, node, proxy).
#pragma once

#include <string>

#include "config/config.hpp"
#include "messages/result.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

// The service actor for `role`. It owns the role's listeners and child actors
// and stops them when it receives an exit message.
tp::result<caf::actor> spawn_service(caf::actor_system& sys, const std::string& role,
                                     const config::teleport_config& cfg);

}  // namespace tp::actors
