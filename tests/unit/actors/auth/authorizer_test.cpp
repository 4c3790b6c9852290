#include "actors/auth/authorizer.hpp"

#include <catch2/catch.hpp>

using namespace tp::messages;
using tp::actors::auth::authorize;

namespace {

caller as(std::string name, std::vector<std::string> roles) {
  return caller{std::move(name), std::move(roles), "127.0.0.1:1"};
}

heartbeat_request heartbeat_of(const std::string& host, const std::string& role) {
  heartbeat_request hb;
  hb.server.meta.name = host;
  hb.role = role;
  return hb;
}

bool allowed(const caller& who, api_request r) {
  return authorize(who, r).ok();
}

}  // namespace

TEST_CASE("admin may send every request", "[authorizer]") {
  const auto admin = as("admin", {"admin"});
  CHECK(allowed(admin, sign_user_request{}));
  CHECK(allowed(admin, upsert_resource_request{}));
  CHECK(allowed(admin, get_resources_request{resource_kind::user, "", true}));
  CHECK(allowed(admin, create_token_request{}));
  CHECK(allowed(admin, delete_resource_request{}));
}

TEST_CASE("a node may heartbeat for itself and read CA keys, nothing else", "[authorizer]") {
  const auto node = as("host-1", {"node"});
  CHECK(allowed(node, ping_request{}));
  CHECK(allowed(node, ca_keys_request{}));
  CHECK(allowed(node, heartbeat_of("host-1", "node")));
  CHECK_FALSE(allowed(node, heartbeat_of("host-2", "node")));   // another host
  CHECK_FALSE(allowed(node, heartbeat_of("host-1", "proxy")));  // a role it lacks
  CHECK_FALSE(allowed(node, sign_user_request{"joe", "key", 60}));
  CHECK_FALSE(allowed(node, sign_host_request{}));
  CHECK_FALSE(allowed(node, upsert_resource_request{}));
  CHECK_FALSE(allowed(node, get_resources_request{resource_kind::node, "", false}));
  CHECK_FALSE(allowed(node, create_token_request{}));
  CHECK_FALSE(allowed(node, list_tokens_request{}));
  CHECK_FALSE(allowed(node, delete_token_request{}));
  CHECK_FALSE(allowed(node, create_signup_request{}));
  CHECK_FALSE(allowed(node, update_remote_cas_request{}));  // only a tunnel's proxy relays
  auto denied = authorize(node, sign_user_request{});
  CHECK_THAT(denied.message(), Catch::Contains("host-1") && Catch::Contains("may not"));
}

TEST_CASE("a proxy may also read nodes and users' public data", "[authorizer]") {
  const auto proxy = as("host-9", {"proxy"});
  CHECK(allowed(proxy, heartbeat_of("host-9", "proxy")));
  CHECK(allowed(proxy, update_remote_cas_request{}));
  CHECK(allowed(proxy, get_resources_request{resource_kind::node, "", false}));
  CHECK(allowed(proxy, get_resources_request{resource_kind::user, "joe", false}));
  CHECK_FALSE(allowed(proxy, get_resources_request{resource_kind::user, "joe", true}));
  CHECK_FALSE(allowed(proxy, get_resources_request{resource_kind::token, "", false}));
  CHECK_FALSE(allowed(proxy, sign_user_request{}));
  CHECK_FALSE(allowed(proxy, upsert_resource_request{}));
}

TEST_CASE("an unauthenticated client may only join", "[authorizer]") {
  const caller anonymous{};
  CHECK(allowed(anonymous, join_request{}));
  CHECK_FALSE(allowed(anonymous, ping_request{}));
  CHECK_FALSE(allowed(anonymous, ca_keys_request{}));
  CHECK_FALSE(allowed(anonymous, heartbeat_of("", "")));
  CHECK_FALSE(allowed(anonymous, list_tokens_request{}));
  CHECK_THAT(authorize(anonymous, ping_request{}).message(), Catch::Contains("unauthenticated"));
}
