// Who may send which auth API request. Decided by the caller's roles, which the
// control plane took from the verified client certificate:
//   admin  (tctl)           everything
//   proxy                   what a node may, plus reading nodes and users' public data
//   node                    heartbeat for itself, ping, CA public keys, audit events
//   no certificate          join with a token, nothing else
#pragma once

#include "messages/auth_api.hpp"
#include "messages/result.hpp"

namespace tp::actors::auth {

// ok, or an error whose message says what the caller lacks.
tp::status authorize(const messages::caller& who, const messages::api_request& request);

}  // namespace tp::actors::auth
