// The proxy role: SSH routing on proxy_service.listen_addr (3023) and the web
// listener on web_listen_addr (3080), with its identity, its view of the live
// nodes and its heartbeats.
#pragma once

#include "config/config.hpp"
#include "messages/result.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

tp::result<caf::actor> spawn_proxy_service(caf::actor_system& sys,
                                           const config::teleport_config& cfg);

}  // namespace tp::actors
