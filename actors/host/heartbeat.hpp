// The heartbeat actor of a node or proxy: announces the host to the auth
// service right away and then every `interval`, reconnecting after failures.
// Runs detached: it talks to auth with the blocking control-plane client.
#pragma once

#include <chrono>

#include "actors/identity/identity_file.hpp"
#include "config/config.hpp"
#include "messages/node.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

inline constexpr std::chrono::seconds heartbeat_interval{60};
inline constexpr std::chrono::seconds heartbeat_ttl{600};  // a silent host drops out after this

// The node record a host announces (name = host ID, hostname = nodename).
messages::node announced_node(const config::teleport_config& cfg, const identity& id,
                              const std::string& role);

caf::actor spawn_heartbeat(caf::actor_system& sys, const config::teleport_config& cfg,
                           identity id, std::string role);

}  // namespace tp::actors
