// How a node or proxy follows a CA rotation (actors/auth/ca_rotation.hpp),
// once per heartbeat: it takes auth's current set of trusted CA keys into its
// identity, and when another CA signs now than the one that signed its
// certificates it asks auth to renew them (same keys, same names).
#pragma once

#include <string>
#include <string_view>

#include "actors/identity/identity_file.hpp"
#include "messages/auth_api.hpp"
#include "messages/result.hpp"

namespace tp::actors {

class auth_client;

// What changed in the identity.
struct rotation_step {
  bool trust_changed = false;  // trusted CA keys or TLS CAs differ from the identity's
  bool renewed = false;        // new certificates: reconnect with them
  std::string renew_error;     // renewal was needed but failed (the trust is still taken)
};

// Whether an auth server of `server_version` serves the rotation API (0.1.0 on):
// the wire format is positional, so an older one would drop the connection.
bool auth_knows_rotation(std::string_view server_version);

// Pure: whether `id`'s certificates were signed by other CAs than those that sign now
// (the first key of `keys`, the first TLS CA).
bool needs_renewal(const identity& id, const messages::ca_keys& keys);

// Pure: copies the trusted keys of `keys` into `id`; true if they differed.
bool take_trust(identity& id, const messages::ca_keys& keys);

// One round with auth: reads the rotation state, updates `id`, renews when needed.
// `keys_out` gets the CA keys auth sent (for the user CAs a node accepts). An auth
// server too old to know rotation answers with an error that is not reported.
tp::result<rotation_step> follow_rotation(auth_client& client, identity& id,
                                          messages::ca_keys& keys_out);

}  // namespace tp::actors
