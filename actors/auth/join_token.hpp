// A join_token actor per dynamic token: it owns the token's lifetime and tells
// the auth_server when the token has expired, so the token stops working at
// its TTL even if nobody lists or uses it. (Every use checks the expiry too.)
#pragma once

#include <chrono>
#include <string>

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors::auth {

caf::actor spawn_join_token(caf::actor_system& sys, const caf::actor& auth_server,
                            std::string token, std::chrono::system_clock::time_point expires);

}  // namespace tp::actors::auth
