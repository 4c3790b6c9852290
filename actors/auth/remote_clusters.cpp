#include "actors/auth/remote_clusters.hpp"

#include "messages/timestamp.hpp"

namespace tp::actors::auth {

tp::status remote_clusters::report(const std::string& proxy,
                                   const std::vector<std::string>& tunnels, sys_time now) {
  if (tunnels.size() > 10000) return make_error("too many tunnels in one report");
  proxy_report r;
  r.at = now;
  for (const auto& text : tunnels) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("cluster") || !j["cluster"].is_string() ||
        !j.contains("status") || !j["status"].is_string()) {
      return make_error("a tunnel report entry is not {\"cluster\", \"status\", ...}");
    }
    tunnel t;
    t.online = j["status"] == "online";
    if (auto b = j.find("last_heartbeat"); b != j.end() && b->is_number_integer()) {
      t.last_heartbeat = b->get<std::int64_t>();
    }
    r.tunnels[j["cluster"].get<std::string>()] = t;
  }
  reports_[proxy] = std::move(r);
  return {};
}

std::vector<nlohmann::json> remote_clusters::list(const std::vector<std::string>& leaves,
                                                  sys_time now, const std::string& only) const {
  std::map<std::string, nlohmann::json> out;
  for (const auto& name : leaves) {
    if (!only.empty() && name != only) continue;
    nlohmann::json c{
        {"name", name}, {"connection", "offline"}, {"proxies", nlohmann::json::array()}};
    std::int64_t beat = 0;
    for (const auto& [proxy, r] : reports_) {
      if (now - r.at > report_ttl) continue;
      auto it = r.tunnels.find(name);
      if (it == r.tunnels.end()) continue;
      beat = std::max(beat, it->second.last_heartbeat);
      if (it->second.online) {
        c["connection"] = "online";
        c["proxies"].push_back(proxy);
      }
    }
    if (beat > 0) {
      c["last_heartbeat"] = messages::format_rfc3339(
          messages::timestamp::from_time_point(sys_time{std::chrono::seconds{beat}}));
    }
    out.emplace(name, std::move(c));
  }
  std::vector<nlohmann::json> v;
  for (auto& [name, c] : out) v.push_back(std::move(c));
  return v;
}

}  // namespace tp::actors::auth
