// The CAs of other clusters this auth server trusts (Trusted Clusters), kept
// beside its own as public-only `cert_authority` records:
//
//   root ("main"): /authorities/host/<leaf>  the leaf's host CA, so the leaf's
//                  proxy can open its reverse tunnel
//   leaf ("east"): /authorities/user/<root>  the root's user CA, so the leaf's
//                  nodes accept the root's users
//                  /authorities/host/<root>  the root's host CA, so the leaf's
//                  proxy can check the root proxy it dials
//
// A remote record never carries signing keys and never uses this cluster's name.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/auth_api.hpp"
#include "messages/cert_authority.hpp"
#include "messages/result.hpp"
#include "persistence/backend.hpp"

namespace tp::actors::auth {

// Stores (replacing) a remote cluster's public CA of `type`. The keys must parse as
// public keys; nothing is written otherwise.
tp::status store_remote_ca(persistence::backend& db, const std::string& own_cluster,
                           const std::string& remote_cluster, messages::ca_type type,
                           const std::vector<std::string>& checking_keys);

// A stored remote CA of `type` replaced by the keys its cluster announces now (it
// rotates its CA), prepared without writing so that several apply together or none.
// The record must exist, the keys parse, and the new set share a key with the stored
// one: a rotation keeps the old key among the trusted ones until its last phase, so a
// set that shares none is not this CA. Nullopt when the keys are the stored ones.
struct remote_ca_update {
  std::string key;       // backend key
  std::string expected;  // the stored value it replaces (compare and swap)
  std::string value;
  std::size_t keys = 0;
};
tp::result<std::optional<remote_ca_update>> prepare_remote_ca_rotation(
    persistence::backend& db, const std::string& own_cluster, const std::string& remote_cluster,
    messages::ca_type type, const std::vector<std::string>& checking_keys);
tp::status apply_remote_ca_update(persistence::backend& db, const remote_ca_update& u);

// Removes both of a remote cluster's CA records (absent ones are fine).
tp::status remove_remote_cas(persistence::backend& db, const std::string& own_cluster,
                             const std::string& remote_cluster);

// Every stored CA record, this cluster's and remote ones, secrets included.
tp::result<std::vector<messages::cert_authority>> list_cas(persistence::backend& db);

// The names of the remote clusters that have a CA of `type` stored here.
std::vector<std::string> remote_cluster_names(persistence::backend& db,
                                              const std::string& own_cluster,
                                              messages::ca_type type);

// The checking keys of remote clusters' CAs of `type` (authorized_keys lines).
std::vector<std::string> remote_ca_keys(persistence::backend& db, const std::string& own_cluster,
                                        messages::ca_type type);

// A leaf's trust request checked before anything is stored: names, key counts, and
// every key a public key. The error says what is wrong.
tp::status check_trust_request(const messages::validate_trusted_cluster_request& r,
                               const std::string& own_cluster);

// The root's answer checked by the leaf: it names the cluster the leaf asked for,
// and carries one or more parseable user and host CA keys.
tp::status check_trust_reply(const messages::ca_keys& reply, const std::string& expected_cluster);

}  // namespace tp::actors::auth
