// The HTTPS leg of Trusted Clusters. The leaf's auth server posts its public CAs
// and the root's token to the root proxy's POST /webapi/trustedclusters/validate;
// the root proxy relays them to its auth (validate_trusted_cluster_request) and
// answers with the root's public CAs. Both sides parse the other's JSON strictly.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "messages/auth_api.hpp"
#include "messages/result.hpp"
#include "messages/trusted_cluster.hpp"

namespace tp::actors::auth {

inline constexpr std::string_view trust_validate_path = "/webapi/trustedclusters/validate";

nlohmann::json to_json(const messages::validate_trusted_cluster_request& r);
tp::result<messages::validate_trusted_cluster_request> parse_trust_request(std::string_view body);

nlohmann::json to_json(const messages::ca_keys& r);
tp::result<messages::ca_keys> parse_trust_reply(const nlohmann::json& body);

struct trust_exchange_options {
  bool insecure = false;  // teleport start --insecure: accept a self-signed root proxy
  std::chrono::milliseconds timeout{10'000};
};

// Runs the exchange for `tc` (blocking; call off the actor scheduler). `own` are this
// (leaf) cluster's public CAs. The root's CAs come back checked (check_trust_reply).
tp::result<messages::ca_keys> exchange_trust(const messages::trusted_cluster& tc,
                                             const messages::ca_keys& own,
                                             const trust_exchange_options& options);

}  // namespace tp::actors::auth
