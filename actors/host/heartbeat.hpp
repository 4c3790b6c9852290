// The auth link of a node or proxy: one detached actor that owns the host's
// control-plane connection. It announces the host right away and then every
// heartbeat_interval (with the current command-label values), and forwards
// audit events, keeping them queued while auth is unreachable. After a failure
// it reconnects with exponential backoff and jitter, so a restarted auth
// service is not hit by every host at once.
//
// Messages: (audit_atom, std::string json) and (label_atom, name, value).
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "actors/identity/identity_file.hpp"
#include "config/config.hpp"
#include "messages/node.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

inline constexpr std::chrono::seconds heartbeat_interval{5};
// A host that stops announcing itself leaves the registry after this long.
inline constexpr std::chrono::seconds heartbeat_ttl = 3 * heartbeat_interval;
inline constexpr std::size_t max_queued_audit_events = 100000;

// The node record a host announces (name = host ID, hostname = nodename).
messages::node announced_node(const config::teleport_config& cfg, const identity& id,
                              const std::string& role);

// Backoff before reconnect attempt `failures` (1, 2, ...): 1s doubling up to
// 30s, plus up to 50% jitter from `jitter_fraction` in [0, 1).
std::chrono::milliseconds reconnect_delay(unsigned failures, double jitter_fraction);

caf::actor spawn_heartbeat(caf::actor_system& sys, const config::teleport_config& cfg, identity id,
                           std::string role);

}  // namespace tp::actors
