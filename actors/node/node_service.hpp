// The node role: joins (or loads its identity), serves SSH on
// ssh_service.listen_addr with the certified host key, keeps itself announced
// with its labels, and forwards its audit events to auth.
#pragma once

#include "config/config.hpp"
#include "messages/result.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

tp::result<caf::actor> spawn_node_service(caf::actor_system& sys,
                                          const config::teleport_config& cfg);

}  // namespace tp::actors
