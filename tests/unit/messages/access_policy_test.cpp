#include "messages/access_policy.hpp"

#include <catch2/catch.hpp>

#include "messages/resource.hpp"

using namespace tp::messages;
using namespace std::chrono_literals;

namespace {

role parse_role(const std::string& text) {
  auto r = as_kind<role>(parse_resource_yaml(text));
  INFO(text);
  if (!r) FAIL(r.message());
  return std::move(*r);
}

// A role as an administrator writes it.
role staging_role() {
  return parse_role(R"(kind: role
version: v3
metadata:
  name: staging
spec:
  options:
    max_session_ttl: 2h
    forward_agent: false
  allow:
    logins: ['{{internal.logins}}', deploy]
    node_labels:
      env: staging
  deny:
    logins: [root]
)");
}

role prod_reader() {
  return parse_role(R"(kind: role
version: v3
metadata:
  name: prod-reader
spec:
  options:
    port_forwarding: false
  allow:
    logins: [reader]
    node_labels:
      env: prod
      team: ['db-*', web]
  deny:
    node_labels:
      secret: '*'
)");
}

const trait_map joe_traits{{"logins", {"joe", "root"}}};

}  // namespace

TEST_CASE("glob patterns match whole values", "[access_policy]") {
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "anything"));
  CHECK(glob_match("db-*", "db-1"));
  CHECK(glob_match("db-*", "db-"));
  CHECK_FALSE(glob_match("db-*", "xdb-1"));
  CHECK(glob_match("*-east-*", "us-east-1"));
  CHECK(glob_match("a*b*c", "aXXbYYc"));
  CHECK_FALSE(glob_match("a*b*c", "aXXbYY"));
  CHECK(glob_match("prod", "prod"));
  CHECK_FALSE(glob_match("prod", "production"));
  CHECK_FALSE(glob_match("", "x"));
  // Many stars over a long non-match stay fast (no exponential backtracking).
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(4000, 'a')));
}

TEST_CASE("label selectors: empty matches nothing, the wildcard everything", "[access_policy]") {
  const label_map node{{"env", "prod"}, {"team", "db-2"}};
  CHECK_FALSE(labels_match({}, node));
  CHECK(labels_match({{"*", {"*"}}}, node));
  CHECK(labels_match({{"*", {"*"}}}, {}));
  CHECK(labels_match({{"env", {"prod"}}}, node));
  CHECK(labels_match({{"env", {"staging", "prod"}}}, node));
  CHECK(labels_match({{"env", {"*"}}}, node));
  CHECK_FALSE(labels_match({{"env", {"*"}}}, {{"team", "x"}}));  // the key must be there
  CHECK(labels_match({{"env", {"prod"}}, {"team", {"db-*"}}}, node));
  CHECK_FALSE(labels_match({{"env", {"prod"}}, {"team", {"web"}}}, node));  // every key
  CHECK_FALSE(labels_match({{"env", {"staging"}}}, node));
}

TEST_CASE("login templates expand from the user's traits", "[access_policy]") {
  const trait_map traits{{"logins", {"joe", "ops"}}, {"unix", {"j1"}}};
  CHECK(expand_logins({"{{internal.logins}}", "deploy"}, traits) ==
        std::vector<std::string>{"joe", "ops", "deploy"});
  CHECK(expand_logins({"{{ external.unix }}", "joe"}, traits) ==
        std::vector<std::string>{"j1", "joe"});
  CHECK(expand_logins({"{{internal.nothing}}"}, traits).empty());
  CHECK(expand_logins({"{{unknown.logins}}"}, traits).empty());
  CHECK(expand_logins({"{{internal.}}"}, traits).empty());
}

TEST_CASE("the admin role keeps today's reach: every trait login on every node",
          "[access_policy]") {
  const auto p = make_access_policy({make_admin_role()}, joe_traits);
  CHECK(p.logins() == std::vector<std::string>{"joe", "root"});
  CHECK(p.can_see({}));
  CHECK(p.can_see({{"env", "prod"}}));
  CHECK(p.check_login("root", {{"env", "prod"}}));
  CHECK_FALSE(p.check_login("mallory", {}));
}

TEST_CASE("a staging role reaches staging nodes only, and never as root", "[access_policy]") {
  const auto p = make_access_policy({staging_role()}, joe_traits);
  CHECK(p.logins() == std::vector<std::string>{"joe", "deploy"});  // root denied
  CHECK(p.can_see({{"env", "staging"}}));
  CHECK_FALSE(p.can_see({{"env", "prod"}}));
  CHECK_FALSE(p.can_see({}));
  CHECK(p.check_login("joe", {{"env", "staging"}, {"x", "y"}}));
  CHECK(p.check_login("deploy", {{"env", "staging"}}));
  auto prod = p.check_login("joe", {{"env", "prod"}});
  REQUIRE_FALSE(prod);
  CHECK_THAT(prod.message(), Catch::Contains("no role of the user allows the login \"joe\""));
  auto root = p.check_login("root", {{"env", "staging"}});
  REQUIRE_FALSE(root);
  CHECK_THAT(root.message(), Catch::Contains("role \"staging\" denies the login \"root\""));
}

TEST_CASE("a deny in one role wins over another role's allow", "[access_policy]") {
  const auto p = make_access_policy({make_admin_role(), prod_reader()}, joe_traits);
  CHECK(p.can_see({{"env", "prod"}}));
  CHECK_FALSE(p.can_see({{"env", "prod"}, {"secret", "yes"}}));
  auto st = p.check_login("root", {{"env", "dev"}, {"secret", "1"}});
  REQUIRE_FALSE(st);
  CHECK_THAT(st.message(), Catch::Contains("role \"prod-reader\" denies access"));
  // Roles add up: reader comes from prod-reader, joe from admin.
  CHECK(p.check_login("reader", {{"env", "prod"}, {"team", "db-7"}}));
  CHECK(p.check_login("joe", {{"env", "dev"}}));
  // reader is allowed only where prod-reader's labels match.
  CHECK_FALSE(p.check_login("reader", {{"env", "prod"}, {"team", "mobile"}}));
}

TEST_CASE("namespaces: a role without any covers the default namespace", "[access_policy]") {
  auto r = staging_role();
  const auto p = make_access_policy({r}, joe_traits);
  CHECK(p.can_see({{"env", "staging"}}, "default"));
  CHECK_FALSE(p.can_see({{"env", "staging"}}, "other"));
  r.spec.allow.namespaces = {"*"};
  CHECK(make_access_policy({r}, joe_traits).can_see({{"env", "staging"}}, "other"));
}

TEST_CASE("role options combine: the shortest TTL, any grant of a permit", "[access_policy]") {
  CHECK(max_session_ttl({}) == max_session_ttl_limit);
  CHECK(max_session_ttl({make_admin_role(), staging_role()}) == 2h);
  CHECK(forward_agent_allowed({make_admin_role(), staging_role()}));
  CHECK_FALSE(forward_agent_allowed({staging_role(), prod_reader()}));
  CHECK(port_forwarding_allowed({staging_role(), prod_reader()}));
  CHECK_FALSE(port_forwarding_allowed({prod_reader()}));
}

TEST_CASE("the certificate extensions round-trip", "[access_policy]") {
  const auto p = make_access_policy({staging_role(), prod_reader()}, joe_traits);
  auto back = decode_access_policy(encode_access_policy(p));
  REQUIRE(back);
  CHECK(*back == p);
  const std::string roles = encode_roles_extension({"staging", "prod-reader"});
  CHECK(roles == R"({"roles":["staging","prod-reader"],"version":"v1"})");
  auto names = decode_roles_extension(roles);
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"staging", "prod-reader"});
}

TEST_CASE("a malformed access policy is an error, never an empty policy", "[access_policy]") {
  const char* bad[] = {
      "",
      "not json",
      "[]",
      R"({"version":"v2","roles":[]})",
      R"({"version":"v1"})",
      R"({"version":"v1","roles":{}})",
      R"({"version":"v1","roles":[],"extra":1})",
      R"({"version":"v1","roles":[{"role":"r","allow":{}}]})",
      R"({"version":"v1","roles":[{"role":"r","allow":{},"deny":{}}]})",
      R"({"version":"v1","roles":[{"role":"r","allow":{"logins":"root","namespaces":[],"node_labels":{}},"deny":{"logins":[],"namespaces":[],"node_labels":{}}}]})",
      R"({"version":"v1","roles":[{"role":"r","allow":{"logins":[1],"namespaces":[],"node_labels":{}},"deny":{"logins":[],"namespaces":[],"node_labels":{}}}]})",
      R"({"version":"v1","roles":[{"role":"r","allow":{"logins":[],"namespaces":[],"node_labels":{"env":"prod"}},"deny":{"logins":[],"namespaces":[],"node_labels":{}}}]})",
      R"({"version":"v1","roles":[{"role":7,"allow":{"logins":[],"namespaces":[],"node_labels":{}},"deny":{"logins":[],"namespaces":[],"node_labels":{}}}]})",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(decode_access_policy(text));
  }
  CHECK_FALSE(decode_access_policy(std::string(70000, ' ')));
  CHECK_FALSE(decode_roles_extension(R"({"version":"v1","roles":[1]})"));
  CHECK_FALSE(decode_roles_extension("{}"));
}
