#include "actors/auth/join_token.hpp"

#include <caf/all.hpp>

#include "actors/auth/auth_atoms.hpp"

namespace tp::actors::auth {
namespace {

caf::behavior join_token(caf::event_based_actor* self, caf::actor auth_server, std::string token,
                         std::chrono::system_clock::time_point expires) {
  const auto left = std::max(expires - std::chrono::system_clock::now(),
                             std::chrono::system_clock::duration::zero());
  self->delayed_send(
      self,
      std::chrono::duration_cast<std::chrono::milliseconds>(left) + std::chrono::milliseconds{1},
      expire_atom::value);
  return {[=](expire_atom) {
    self->send(auth_server, expire_atom::value, token);
    self->quit();
  }};
}

}  // namespace

caf::actor spawn_join_token(caf::actor_system& sys, const caf::actor& auth_server,
                            std::string token, std::chrono::system_clock::time_point expires) {
  return sys.spawn(join_token, auth_server, std::move(token), expires);
}

}  // namespace tp::actors::auth
