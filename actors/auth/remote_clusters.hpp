// The root's view of its leaf clusters (`tctl get remote_clusters`): the leaves it
// trusts (their host CAs) and the state of their reverse tunnels as each of its
// proxies last reported it. Reports older than report_ttl are ignored: a proxy that
// stopped reporting has stopped holding tunnels.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/result.hpp"

namespace tp::actors::auth {

class remote_clusters {
 public:
  using sys_time = std::chrono::system_clock::time_point;
  static constexpr std::chrono::seconds report_ttl{30};

  // A proxy's tunnels (JSON object texts); malformed entries are an error, nothing kept.
  tp::status report(const std::string& proxy, const std::vector<std::string>& tunnels,
                    sys_time now);

  // One object per leaf: {"name", "connection": "online"|"offline", "last_heartbeat"
  // (RFC 3339, absent if never), "proxies": [...]}; online when a fresh report of any
  // proxy says so. Sorted by name; `only` filters ("" = all).
  std::vector<nlohmann::json> list(const std::vector<std::string>& leaves, sys_time now,
                                   const std::string& only = {}) const;

 private:
  struct tunnel {
    bool online = false;
    std::int64_t last_heartbeat = 0;
  };
  struct proxy_report {
    sys_time at;
    std::map<std::string, tunnel> tunnels;
  };
  std::map<std::string, proxy_report> reports_;
};

}  // namespace tp::actors::auth
