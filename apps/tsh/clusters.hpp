// tsh clusters: the proxy's own cluster and the leaf (trusted) clusters whose
// reverse tunnels it holds, as its "tp-clusters" subsystem lists them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"

namespace tp::apps::tsh {

struct cluster_info {
  std::string name;
  std::string status;  // "online" / "offline"
  bool local = false;  // the proxy's own cluster
  std::int64_t last_heartbeat = 0;
};

// Parses the subsystem's JSON array; entries without a usable name or status are dropped.
result<std::vector<cluster_info>> parse_clusters(std::string_view json);

}  // namespace tp::apps::tsh
