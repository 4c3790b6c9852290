// tctl nodes add | ls, tctl tokens ls | del
#include <algorithm>
#include <ctime>
#include <iostream>

#include "apps/tctl/commands.hpp"
#include "config/duration.hpp"

namespace tp::apps::tctl {

using namespace tp::messages;

std::string utc_text(std::int64_t unix_seconds, const char* format) {
  if (unix_seconds == 0) return "never";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

namespace {

std::string expiry_text(std::int64_t unix) {
  return utc_text(unix, "%d %b %y %H:%M UTC");
}

std::string in_words(std::chrono::seconds ttl) {
  if (ttl.count() >= 60) return std::to_string(ttl.count() / 60) + " minutes";
  return std::to_string(ttl.count()) + " seconds";
}

}  // namespace

int cmd_nodes_add(context& ctx, const nodes_add_flags& flags) {
  auto ttl = config::parse_duration(flags.ttl);
  if (!ttl) return fail("--ttl: " + ttl.message());
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(*ttl);
  if (secs.count() < 1) return fail("--ttl: must be at least 1s");
  create_token_request req;
  req.token = flags.token;
  req.roles = split(flags.roles);
  req.ttl_seconds = secs.count();
  auto info = ctx.client->call_as(std::move(req));
  if (!info) return fail(info.message());
  auto ping = ctx.client->call_as(ping_request{});
  if (!ping) return fail(ping.message());

  std::string auth = ctx.auth.to_string();
  if (!ctx.cfg.auth_service.public_addr.empty()) {
    auth = ctx.cfg.auth_service.public_addr.front().to_string();
  }
  std::cout << "The invite token: " << info->token << "\n"
            << "This token will expire in " << in_words(secs) << "\n\n"
            << "Run this on the new node to join the cluster:\n\n"
            << "> teleport start \\\n"
            << "   --roles=" << join(info->roles) << " \\\n"
            << "   --token=" << info->token << " \\\n"
            << "   --ca-pin=" << ping->ca_pin << " \\\n"
            << "   --auth-server=" << auth << "\n\n"
            << "Please note:\n\n"
            << "  - This invitation token will expire in " << in_words(secs) << "\n"
            << "  - " << auth << " must be reachable from the new node\n";
  return 0;
}

int cmd_nodes_ls(context& ctx) {
  auto r = ctx.client->call_as(get_resources_request{resource_kind::node, "", false});
  if (!r) return fail(r.message());
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : r->items) {
    const auto& n = std::get<messages::node>(item);
    std::vector<std::string> labels;
    for (const auto& [k, v] : n.all_labels()) labels.push_back(k + "=" + v);
    rows.push_back({n.spec.hostname, n.meta.name, n.spec.addr, join(labels)});
  }
  print_table({"Node Name", "Node ID", "Address", "Labels"}, rows);
  return 0;
}

int cmd_tokens_add(context& ctx, const tokens_add_flags& flags) {
  const auto types = split(flags.type);
  if (types.empty()) return fail("--type: give node, proxy or trusted_cluster");
  for (const auto& t : types) {
    if (t != "node" && t != "proxy" && t != "trusted_cluster") {
      return fail("--type: unknown token type \"" + t + "\" (node, proxy or trusted_cluster)");
    }
  }
  const bool trust = std::find(types.begin(), types.end(), "trusted_cluster") != types.end();
  if (!trust) return cmd_nodes_add(ctx, {flags.type, flags.ttl, flags.value});
  auto ttl = config::parse_duration(flags.ttl);
  if (!ttl) return fail("--ttl: " + ttl.message());
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(*ttl);
  if (secs.count() < 1) return fail("--ttl: must be at least 1s");
  auto info = ctx.client->call_as(create_token_request{flags.value, types, secs.count()});
  if (!info) return fail(info.message());
  std::cout << "The cluster invite token: " << info->token << "\n"
            << "This token will expire in " << in_words(secs) << "\n\n"
            << "Use this token in the trusted_cluster resource of the cluster that is to\n"
            << "trust this one (spec.token), and create it there with tctl create.\n";
  return 0;
}

int cmd_tokens_ls(context& ctx) {
  auto r = ctx.client->call_as(list_tokens_request{});
  if (!r) return fail(r.message());
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : r->items) {
    std::string type = join(t.roles);
    if (!t.user.empty()) type += " (" + t.user + ")";
    rows.push_back({t.token, type, expiry_text(t.expires_unix)});
  }
  print_table({"Token", "Type", "Expiry Time (UTC)"}, rows);
  return 0;
}

int cmd_tokens_del(context& ctx, const std::string& token) {
  auto r = ctx.client->call_as(delete_token_request{token});
  if (!r) return fail(r.message());
  std::cout << "Token " << token << " has been deleted\n";
  return 0;
}

}  // namespace tp::apps::tctl
