// `kind: trusted_cluster` — created on the trusting ("east") cluster to dial the trusted
// ("main") one (manual: "Trusted Clusters").
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/cert_authority.hpp"
#include "messages/metadata.hpp"
#include "messages/resource_kind.hpp"

namespace tp::messages {

class map_reader;

struct trusted_cluster_spec {
  // Created enabled unless the file says otherwise; `enabled: false` disables trust.
  bool enabled = true;
  std::vector<std::string> roles;      // older form: local roles granted to remote users
  std::vector<role_mapping> role_map;  // remote role -> local roles
  std::string token;                   // join token the trusted cluster expects (required)
  std::string tunnel_addr;             // host:port of the trusted proxy's reverse tunnel port
  std::string web_proxy_addr;          // host:port of the trusted proxy's web port (required)

  friend bool operator==(const trusted_cluster_spec&, const trusted_cluster_spec&) = default;
};

// metadata.name must match the trusted cluster's `cluster_name`.
struct trusted_cluster {
  static constexpr resource_kind kind = resource_kind::trusted_cluster;
  static constexpr std::string_view default_version = "v2";

  std::string version{default_version};
  metadata meta;
  trusted_cluster_spec spec;

  friend bool operator==(const trusted_cluster&, const trusted_cluster&) = default;
};

void decode_spec(map_reader& in, trusted_cluster& out);
nlohmann::ordered_json encode_spec(const trusted_cluster& in);
inline void clear_secrets(trusted_cluster&) {}

}  // namespace tp::messages
