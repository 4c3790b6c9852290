#include "actors/proxy/tunnel.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/proxy/tunnel_server.hpp"

namespace tp::actors {
namespace {

using check_atom = caf::atom_constant<caf::atom("tp_tcheck")>;

struct tunnel_state {
  static inline const char* name = "tunnel";
};

caf::behavior tunnel(caf::stateful_actor<tunnel_state>* self,
                     std::shared_ptr<tunnel_registry> registry, std::string cluster,
                     std::uint64_t id) {
  self->delayed_send(self, tunnel_heartbeat_interval, check_atom::value);
  return {[=](check_atom) {
    switch (registry->police(cluster, id)) {
      case tunnel_registry::health::alive:
        self->delayed_send(self, tunnel_heartbeat_interval, check_atom::value);
        return;
      case tunnel_registry::health::stale:
        spdlog::warn("tunnel: cluster {} sent no heartbeat for {}s: disconnected", cluster,
                     tunnel_offline_after.count());
        break;
      case tunnel_registry::health::gone:
        break;
    }
    self->quit();
  }};
}

}  // namespace

caf::actor spawn_tunnel(caf::actor_system& sys, std::shared_ptr<tunnel_registry> registry,
                        std::string cluster, std::uint64_t id) {
  return sys.spawn(tunnel, std::move(registry), std::move(cluster), id);
}

}  // namespace tp::actors
