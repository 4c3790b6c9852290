// tctl get | create | rm
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/tctl/commands.hpp"
#include "config/read_file.hpp"

namespace tp::apps::tctl {

using namespace tp::messages;

namespace {

// "users", "user/joe", "cert_authority" ... -> kind and optional name.
tp::result<std::pair<resource_kind, std::string>> parse_ref(const std::string& ref) {
  const auto slash = ref.find('/');
  const std::string kind = ref.substr(0, slash);
  auto k = parse_resource_kind_alias(kind);
  if (!k) {
    return tp::make_error("unknown resource kind \"" + kind + "\"; expected one of " +
                          resource_kind_names());
  }
  std::string name = slash == std::string::npos ? "" : ref.substr(slash + 1);
  return std::make_pair(*k, std::move(name));
}

std::string describe(const resource& r) {
  return std::string(to_string(kind_of(r))) + " \"" + meta_of(r).name + "\"";
}

}  // namespace

int cmd_get(context& ctx, const std::string& ref, bool with_secrets, const std::string& format,
            const events_flags& events) {
  if (ref == "events") return cmd_events(ctx, events);
  if (is_remote_cluster_ref(ref)) return cmd_get_remote_clusters(ctx, ref, format);
  auto parsed = parse_ref(ref);
  if (!parsed) return fail(parsed.message());
  if (format != "yaml" && format != "json") return fail("--format: use yaml or json");
  auto r = ctx.client->call_as(get_resources_request{parsed->first, parsed->second, with_secrets});
  if (!r) return fail(r.message());
  if (format == "json") {
    auto arr = nlohmann::json::array();
    for (const auto& item : r->items) arr.push_back(to_json(item, with_secrets));
    std::cout << arr.dump(4) << "\n";
  } else {
    std::cout << to_yaml(r->items, with_secrets);
  }
  return 0;
}

int cmd_create(context& ctx, const std::string& file, bool force) {
  auto text = config::read_small_file(file, 16u << 20);
  if (!text) return fail(text.message());
  auto items = parse_resources_yaml(*text);
  if (!items) return fail(file + ": " + items.message());
  for (auto& item : *items) {
    const std::string what = describe(item);
    auto r = ctx.client->call_as(upsert_resource_request{std::move(item), !force});
    if (!r) return fail(r.message());
    std::cout << what << " has been " << (force ? "created or updated" : "created") << "\n";
  }
  return 0;
}

int cmd_rm(context& ctx, const std::string& ref) {
  if (is_remote_cluster_ref(ref)) return cmd_rm_remote_cluster(ctx, ref);
  auto parsed = parse_ref(ref);
  if (!parsed) return fail(parsed.message());
  if (parsed->second.empty()) return fail("name the resource to delete, e.g. user/joe");
  auto r = ctx.client->call_as(delete_resource_request{parsed->first, parsed->second});
  if (!r) return fail(r.message());
  std::cout << to_string(parsed->first) << " \"" << parsed->second << "\" has been deleted\n";
  return 0;
}

}  // namespace tp::apps::tctl
