#include "apps/tsh/clusters.hpp"

#include <nlohmann/json.hpp>

#include "apps/tsh/commands.hpp"
#include "apps/tsh/table.hpp"

namespace tp::apps::tsh {

namespace {
constexpr std::size_t k_max_cluster_list = 1 << 20;
}

result<std::vector<cluster_info>> parse_clusters(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return make_error("the proxy sent a malformed cluster list");
  std::vector<cluster_info> out;
  for (const auto& e : j) {
    if (!e.is_object()) continue;
    cluster_info c;
    auto name = e.find("name");
    auto status = e.find("status");
    if (name == e.end() || !name->is_string() || status == e.end() || !status->is_string())
      continue;
    c.name = name->get<std::string>();
    c.status = status->get<std::string>();
    if (!is_safe_host_token(c.name) || (c.status != "online" && c.status != "offline")) continue;
    auto local = e.find("local");
    c.local = local != e.end() && local->is_boolean() && local->get<bool>();
    auto beat = e.find("last_heartbeat");
    if (beat != e.end() && beat->is_number_integer()) c.last_heartbeat = beat->get<std::int64_t>();
    out.push_back(std::move(c));
  }
  return out;
}

int cmd_clusters(const global_flags& g) {
  auto s = open_session(g);
  if (!s) return fail(s.message());
  auto out = proxy_query(*s, "tp-clusters", "list the clusters", k_max_cluster_list);
  if (!out) return fail(out.message());
  auto list = parse_clusters(*out);
  if (!list) return fail(list.message());
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : *list) rows.push_back({c.name, c.status});
  print_table({"Cluster Name", "Status"}, rows);
  return 0;
}

}  // namespace tp::apps::tsh
