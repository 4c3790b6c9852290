// A node_presence actor per announced host: it expires the host's record when
// heartbeats stop (no heartbeat within the TTL the host announced), so `tctl
// nodes ls` and the proxy's routing only ever see live hosts. The record also
// carries the TTL in the backend, which covers a restart of auth.
#pragma once

#include <chrono>
#include <string>

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors::auth {

// (heartbeat_atom, std::int64_t ttl_seconds) resets the timer; when it fires
// the actor sends (offline_atom, name) to `auth_server` and quits.
caf::actor spawn_node_presence(caf::actor_system& sys, const caf::actor& auth_server,
                               std::string name);

}  // namespace tp::actors::auth
