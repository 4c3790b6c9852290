// The auth_server actor: serves the auth API for every caller, one request at
// a time, in a detached thread of its own (it writes the backend, which may
// fsync). Callers send (caller, api_request) and receive an api_reply; the
// control plane does so for remote callers, in-process services directly.
#pragma once

#include <memory>

#include "actors/auth/auth_core.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors::auth {

caf::actor spawn_auth_server(caf::actor_system& sys, std::unique_ptr<auth_core> core);

}  // namespace tp::actors::auth
