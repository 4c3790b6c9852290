// Spawning the service actor of one role (auth, node, proxy).
#pragma once

#include <chrono>
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
// `handover_wait`: how long auth waits for a previous process to let go of the
// data_dir (graceful restart); zero: fail at once if another process has it.
tp::result<caf::actor> spawn_service(caf::actor_system& sys, const std::string& role,
                                     const config::teleport_config& cfg,
                                     std::chrono::milliseconds handover_wait = {});

}  // namespace tp::actors
