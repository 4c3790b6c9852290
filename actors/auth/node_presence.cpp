#include "actors/auth/node_presence.hpp"

#include <caf/all.hpp>

#include "actors/auth/auth_atoms.hpp"

namespace tp::actors::auth {
namespace {

using std::chrono::steady_clock;

// One timer in flight per host, not one per heartbeat: a heartbeat only moves the
// deadline, and the timer, when it fires early, waits for the rest. With the usual
// 5 s heartbeats and 15 s TTL that is a third of the timers (and of the expiry
// messages to dispatch) that auth's clock thread handles for a large fleet.
struct presence_state {
  steady_clock::time_point deadline;   // the record expires here unless a heartbeat moves it
  steady_clock::time_point armed_for;  // when the timer in flight fires
  std::uint64_t generation = 0;        // only the newest timer counts
  bool armed = false;
  static inline const char* name = "node_presence";
};

void arm(caf::stateful_actor<presence_state>* self, steady_clock::time_point at) {
  auto& st = self->state;
  st.armed = true;
  st.armed_for = at;
  const auto delay = std::max(at - steady_clock::now(), steady_clock::duration::zero());
  self->delayed_send(self, delay, expire_atom::value, ++st.generation);
}

caf::behavior node_presence(caf::stateful_actor<presence_state>* self, caf::actor auth_server,
                            std::string name) {
  return {
      [=](heartbeat_atom, std::int64_t ttl_seconds) {
        auto& st = self->state;
        st.deadline =
            steady_clock::now() + std::chrono::seconds{std::max<std::int64_t>(ttl_seconds, 1)};
        // A timer that fires by the deadline waits for the rest then; one that would
        // fire after it (a shorter TTL than before) is replaced.
        if (!st.armed || st.armed_for > st.deadline) arm(self, st.deadline);
      },
      [=](expire_atom, std::uint64_t gen) {
        auto& st = self->state;
        if (gen != st.generation) return;
        st.armed = false;
        if (steady_clock::now() < st.deadline) return arm(self, st.deadline);
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
