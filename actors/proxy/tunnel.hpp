// `tunnel`: one actor per reverse tunnel a leaf cluster holds open to this (root)
// proxy. The SSH connection itself is served on the reactor (tunnel_server.hpp);
// this actor owns its lifetime: it checks the tunnel every heartbeat interval, ends
// one that fell silent for longer than tunnel_offline_after, and quits once the
// tunnel is gone. (On the leaf, trusted_cluster_link runs its end of the tunnel.)
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

class tunnel_registry;

caf::actor spawn_tunnel(caf::actor_system& sys, std::shared_ptr<tunnel_registry> registry,
                        std::string cluster, std::uint64_t id);

}  // namespace tp::actors
