// tctl get remote_clusters | rc[/name], tctl rm rc/<name>: the leaf clusters that
// trust this one, with their reverse tunnels' state as the proxies report it.
#include <iostream>

#include <nlohmann/json.hpp>

#include "apps/tctl/commands.hpp"

namespace tp::apps::tctl {

using namespace tp::messages;

namespace {

// "remote_cluster", "remote_clusters", "rc" with an optional "/name".
bool split_remote_ref(const std::string& ref, std::string& name) {
  const auto slash = ref.find('/');
  const std::string kind = ref.substr(0, slash);
  if (kind != "remote_cluster" && kind != "remote_clusters" && kind != "rc") return false;
  name = slash == std::string::npos ? "" : ref.substr(slash + 1);
  return true;
}

std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump();  // a JSON string is a valid YAML scalar
}

}  // namespace

bool is_remote_cluster_ref(const std::string& ref) {
  std::string name;
  return split_remote_ref(ref, name);
}

int cmd_get_remote_clusters(context& ctx, const std::string& ref, const std::string& format) {
  std::string name;
  split_remote_ref(ref, name);
  if (format != "yaml" && format != "json") return fail("--format: use yaml or json");
  auto r = ctx.client->call_as(remote_clusters_request{name});
  if (!r) return fail(r.message());
  auto arr = nlohmann::ordered_json::array();
  for (const auto& line : r->events) {
    auto c = nlohmann::json::parse(line, nullptr, false);
    if (!c.is_object() || !c.contains("name")) continue;
    nlohmann::ordered_json out;
    out["kind"] = "remote_cluster";
    out["metadata"] = {{"name", c["name"]}};
    out["status"] = {{"connection", c.value("connection", "offline")}};
    if (c.contains("last_heartbeat")) out["status"]["last_heartbeat"] = c["last_heartbeat"];
    out["version"] = "v3";
    arr.push_back(std::move(out));
  }
  if (format == "json") {
    std::cout << arr.dump(4) << "\n";
    return 0;
  }
  bool first = true;
  for (const auto& c : arr) {
    if (!first) std::cout << "---\n";
    first = false;
    // Names are validated resource names: plain YAML scalars.
    std::cout << "kind: remote_cluster\nmetadata:\n  name: "
              << c["metadata"]["name"].get<std::string>()
              << "\nstatus:\n  connection: " << c["status"]["connection"].get<std::string>()
              << "\n";
    if (c["status"].contains("last_heartbeat")) {
      std::cout << "  last_heartbeat: " << quoted(c["status"]["last_heartbeat"]) << "\n";
    }
    std::cout << "version: v3\n";
  }
  return 0;
}

int cmd_rm_remote_cluster(context& ctx, const std::string& ref) {
  std::string name;
  split_remote_ref(ref, name);
  if (name.empty()) return fail("name the remote cluster to delete, e.g. rc/east");
  auto r = ctx.client->call_as(delete_remote_cluster_request{name});
  if (!r) return fail(r.message());
  std::cout << "remote cluster \"" << name << "\" has been deleted\n";
  return 0;
}

}  // namespace tp::apps::tctl
