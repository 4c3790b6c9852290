#include "actors/auth/node_presence.hpp"

#include <caf/all.hpp>

#include "actors/auth/auth_atoms.hpp"

namespace tp::actors::auth {
namespace {

struct presence_state {
  std::uint64_t generation = 0;  // only the newest timer counts
  static inline const char* name = "node_presence";
};

caf::behavior node_presence(caf::stateful_actor<presence_state>* self, caf::actor auth_server,
                            std::string name) {
  return {
      [=](heartbeat_atom, std::int64_t ttl_seconds) {
        const auto gen = ++self->state.generation;
        self->delayed_send(self, std::chrono::seconds{std::max<std::int64_t>(ttl_seconds, 1)},
                           expire_atom::value, gen);
      },
      [=](expire_atom, std::uint64_t gen) {
        if (gen != self->state.generation) return;
        self->send(auth_server, offline_atom::value, name);
        self->quit();
      },
  };
}

}  // namespace

caf::actor spawn_node_presence(caf::actor_system& sys, const caf::actor& auth_server,
                               std::string name) {
  return sys.spawn(node_presence, auth_server, std::move(name));
}

}  // namespace tp::actors::auth
