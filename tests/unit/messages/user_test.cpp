#include "messages/user.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "messages/resource.hpp"

using namespace tp::messages;
using tp::messages::testing::read_fixture;
using tp::messages::testing::strip_comment_lines;

namespace {

user parse_user(const std::string& text) {
  auto r = as_kind<user>(parse_resource_yaml(text));
  INFO(text);
  if (!r) FAIL(r.message());
  return std::move(*r);
}

std::string error_of(const std::string& text) {
  auto r = parse_resource_yaml(text);
  REQUIRE_FALSE(r);
  return r.message();
}

user full_user() {
  user u;
  u.meta.name = "alice@example.com";
  u.meta.labels = {{"team", "sre"}};
  u.spec.roles = {"admin", "dba"};
  u.spec.traits = {{"logins", {"alice", "root"}}, {"groups", {"wheel"}}};
  u.spec.status.is_locked = true;
  u.spec.status.locked_message = "too many failed attempts";
  u.spec.status.locked_time = *parse_rfc3339("2018-05-17T03:51:00Z");
  u.spec.status.lock_expires = *parse_rfc3339("2018-05-17T04:11:00Z");
  u.spec.created.time = *parse_rfc3339("2018-01-01T00:00:00.5Z");
  u.spec.created.connector_type = "github";
  u.spec.created.connector_id = "github";
  u.spec.created.connector_identity = "alice";
  u.spec.github_identities = {{"github", "alice"}};
  u.spec.saml_identities = {{"okta", "alice@example.com"}};
  u.spec.auth.password_hash = "$2a$10$abcdefghijklmnopqrstuv";
  u.spec.auth.totp_key = "JBSWY3DPEHPK3PXP";
  u.spec.auth.u2f = {"cmF3", "a2g=", "cGs="};
  u.spec.auth.u2f_counter = 7;
  return u;
}

}  // namespace

TEST_CASE("the manual's user joe parses into typed fields", "[user]") {
  const user joe = parse_user(read_fixture("user_joe.yaml"));
  CHECK(joe.version == "v2");
  CHECK(joe.meta.name == "joe");
  CHECK(joe.meta.namespace_name == "default");
  CHECK(joe.spec.roles == std::vector<std::string>{"admin"});
  CHECK(joe.logins() == std::vector<std::string>{"joe", "root"});
  CHECK_FALSE(joe.spec.status.is_locked);
  CHECK(joe.spec.status.lock_expires.is_zero());
  CHECK(joe.spec.status.locked_time.is_zero());
  CHECK(joe.spec.expires.is_zero());
  CHECK(joe.spec.created.time.is_zero());
  CHECK(joe.spec.created.user_name == "builtin-Admin");
  CHECK(joe.spec.auth.empty());
}

TEST_CASE("tctl get user/joe prints the manual's record", "[user]") {
  const std::string manual = read_fixture("user_joe.yaml");
  CHECK(to_yaml(parse_user(manual)) == strip_comment_lines(manual));
}

TEST_CASE("a user survives YAML and JSON round trips", "[user]") {
  const user u = full_user();
  const std::string yaml = to_yaml(u, true);
  CHECK(parse_user(yaml) == u);
  CHECK(to_yaml(parse_user(yaml), true) == yaml);

  const nlohmann::json j = to_json(u);
  CHECK(j["spec"]["local_auth"]["password_hash"] == "$2a$10$abcdefghijklmnopqrstuv");
  CHECK(j["spec"]["local_auth"]["u2f_counter"] == 7);
  CHECK(j["spec"]["status"]["is_locked"] == true);
  auto back = from_json(j);
  REQUIRE(back);
  CHECK(std::get<user>(*back) == u);
  auto from_text = parse_resource_json(j.dump());
  REQUIRE(from_text);
  CHECK(std::get<user>(*from_text) == u);
}

TEST_CASE("user YAML output leaves out credentials", "[user]") {
  const user u = full_user();
  const std::string yaml = to_yaml(u);
  CHECK_THAT(yaml, !Catch::Contains("local_auth") && !Catch::Contains("password_hash") &&
                       !Catch::Contains("$2a$10$") && !Catch::Contains("JBSWY3DPEHPK3PXP") &&
                       !Catch::Contains("u2f"));
  CHECK_THAT(yaml, Catch::Contains("is_locked: true") && Catch::Contains("- alice"));
  user expected = u;
  expected.spec.auth = {};
  CHECK(parse_user(yaml) == expected);
  CHECK(to_json(u, false)["spec"].count("local_auth") == 0);
}

TEST_CASE("bad user records name the field and line", "[user]") {
  const std::string head = "kind: user\nversion: v2\nmetadata:\n  name: joe\nspec:\n";
  CHECK(error_of(head + "  traits:\n    logins: joe\n") ==
        "spec.traits.logins: expected a list of strings, got \"joe\" (line 7)");
  CHECK(error_of(head + "  status:\n    is_locked: maybe\n") ==
        "spec.status.is_locked: expected true or false, got \"maybe\" (line 7)");
  CHECK_THAT(error_of(head + "  rolez: [admin]\n"),
             Catch::StartsWith("spec.rolez: unknown field; expected one of: ") &&
                 Catch::Contains("roles") && Catch::EndsWith("(line 6)"));
  CHECK(error_of(head + "  roles: [admin, 'a/b']\n") ==
        "spec.roles[1]: invalid role name \"a/b\": must not contain '/' (line 6)");
  CHECK(error_of(head + "  traits:\n    logins: [joe, 'ro ot']\n") ==
        "spec.traits.logins[1]: invalid login \"ro ot\": must not contain whitespace or control "
        "characters (line 7)");
  CHECK_THAT(
      error_of(head + "  expires: tomorrow\n"),
      Catch::StartsWith("spec.expires: invalid time \"tomorrow\"") && Catch::EndsWith("(line 6)"));
  CHECK_THAT(error_of(head + "  local_auth:\n    u2f_counter: -1\n"),
             Catch::StartsWith("spec.local_auth.u2f_counter: expected a number"));
  CHECK_THAT(error_of(head + "  github_identities:\n  - username: x\n"),
             Catch::StartsWith("spec.github_identities[0].connector_id: missing"));
  CHECK_THAT(error_of(head + "  created_by:\n    user: builtin\n"),
             Catch::StartsWith("spec.created_by.user: expected a mapping, got \"builtin\""));
}
