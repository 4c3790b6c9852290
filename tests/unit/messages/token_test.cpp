#include "messages/token.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "messages/resource.hpp"

using namespace tp::messages;
using tp::messages::testing::read_fixture;

namespace {

std::string error_of(const std::string& text) {
  auto r = parse_resource_yaml(text);
  REQUIRE_FALSE(r);
  return r.message();
}

}  // namespace

TEST_CASE("a join token with roles and expiry", "[token]") {
  auto t = as_kind<provision_token>(parse_resource_yaml(read_fixture("token_node.yaml")));
  REQUIRE(t);
  CHECK(t->meta.name == "696c0471453e75882ff70a761c1a8bfa");
  CHECK(t->spec.roles == std::vector<system_role>{system_role::node, system_role::proxy});
  CHECK(t->allows(system_role::node));
  CHECK_FALSE(t->allows(system_role::auth));
  CHECK(format_rfc3339(t->meta.expires) == "2016-05-17T03:51:00Z");
  const auto expiry = t->meta.expires.to_time_point();
  CHECK(is_expired(t->meta, expiry));
  CHECK_FALSE(is_expired(t->meta, expiry - std::chrono::seconds{1}));
  CHECK_FALSE(is_expired(metadata{}, expiry));  // no expiry: never

  const std::string yaml = to_yaml(*t);
  CHECK(yaml ==
        "kind: token\nversion: v2\nmetadata:\n  name: 696c0471453e75882ff70a761c1a8bfa\n"
        "  expires: 2016-05-17T03:51:00Z\nspec:\n  roles:\n  - Node\n  - Proxy\n");
  CHECK(std::get<provision_token>(*parse_resource_yaml(yaml)) == *t);
  CHECK(std::get<provision_token>(*from_json(to_json(*t))) == *t);
}

TEST_CASE("system role names", "[token]") {
  CHECK(parse_system_role("Trusted_cluster") == system_role::trusted_cluster);
  CHECK(parse_system_role("TRUSTEDCLUSTER") == system_role::trusted_cluster);
  CHECK(parse_system_role("auth") == system_role::auth);
  CHECK(parse_system_role("Proxy") == system_role::proxy);
  CHECK_FALSE(parse_system_role("admin"));
  CHECK(to_string(system_role::trusted_cluster) == "Trusted_cluster");
}

TEST_CASE("bad tokens are rejected", "[token]") {
  const std::string head = "kind: token\nmetadata:\n  name: abc\n";
  CHECK(error_of(head + "spec:\n  roles: [node, admin]\n") ==
        "spec.roles[1]: unknown role \"admin\"; expected auth, node, proxy or trusted_cluster "
        "(line 5)");
  CHECK_THAT(error_of(head), Catch::StartsWith("spec.roles: a token needs at least one role"));
  CHECK_THAT(
      error_of("kind: token\nmetadata:\n  name: abc\n  expires: never\nspec:\n  roles: [node]\n"),
      Catch::StartsWith("metadata.expires: invalid time \"never\"") && Catch::EndsWith("(line 4)"));
}
