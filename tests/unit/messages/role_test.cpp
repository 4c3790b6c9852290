#include "messages/role.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "messages/resource.hpp"

using namespace tp::messages;
using namespace std::chrono_literals;
using tp::messages::testing::read_fixture;
using tp::messages::testing::strip_comment_lines;

namespace {

role parse_role(const std::string& text) {
  auto r = as_kind<role>(parse_resource_yaml(text));
  INFO(text);
  if (!r) FAIL(r.message());
  return std::move(*r);
}

std::string error_of(const std::string& text) {
  auto r = parse_resource_yaml(text);
  REQUIRE_FALSE(r);
  return r.message();
}

const std::string kHead = "kind: role\nversion: v3\nmetadata:\n  name: r\nspec:\n";

}  // namespace

TEST_CASE("the admin role parses and prints unchanged", "[role]") {
  const std::string text = read_fixture("role_admin.yaml");
  const role admin = parse_role(text);
  CHECK(admin.meta.name == "admin");
  CHECK(admin.spec.options.max_session_ttl == 30h);
  CHECK(admin.spec.options.forward_agent);
  CHECK(admin.spec.options.port_forwarding);
  CHECK(admin.spec.options.cert_format == "standard");
  CHECK(admin.spec.allow.logins == std::vector<std::string>{"{{internal.logins}}", "root"});
  CHECK(admin.spec.allow.node_labels ==
        std::map<std::string, std::vector<std::string>>{{"*", {"*"}}});
  CHECK(admin.spec.allow.namespaces == std::vector<std::string>{"*"});
  REQUIRE(admin.spec.allow.rules.size() == 1);
  CHECK(admin.spec.allow.rules[0].resources == std::vector<std::string>{"*"});
  CHECK(admin.spec.allow.rules[0].verbs == std::vector<std::string>{"*"});
  CHECK(admin.spec.deny.empty());
  CHECK(to_yaml(admin) == strip_comment_lines(text));

  role builtin = make_admin_role();
  builtin.spec.allow.logins.push_back("root");
  CHECK(builtin == admin);
}

TEST_CASE("role options, label lists and YAML 1.1 booleans", "[role]") {
  const role dba = parse_role(read_fixture("role_dba.yaml"));
  CHECK(dba.meta.description == "database administrators");
  CHECK(dba.spec.options.max_session_ttl == 8h);
  CHECK_FALSE(dba.spec.options.port_forwarding);
  CHECK(dba.spec.options.client_idle_timeout == 15min);
  CHECK(dba.spec.allow.node_labels.at("role") == std::vector<std::string>{"db-master", "db-slave"});
  CHECK(dba.spec.allow.node_labels.at("env") == std::vector<std::string>{"production"});
  CHECK(dba.spec.allow.rules.at(0).verbs == std::vector<std::string>{"list", "read"});
  CHECK(dba.spec.deny.logins == std::vector<std::string>{"root"});

  const std::string yaml = to_yaml(dba);
  CHECK_THAT(yaml, Catch::Contains("max_session_ttl: 8h0m0s") &&
                       Catch::Contains("client_idle_timeout: 15m0s") &&
                       Catch::Contains("      env: production\n") &&
                       Catch::Contains("      role:\n      - db-master\n"));
  CHECK(parse_role(yaml) == dba);
  auto j = from_json(to_json(dba));
  REQUIRE(j);
  CHECK(std::get<role>(*j) == dba);
}

TEST_CASE("a role with only a name gets the defaults", "[role]") {
  const role r = parse_role("kind: role\nmetadata:\n  name: empty\n");
  CHECK(r.version == "v3");
  CHECK(r.spec.options.max_session_ttl == 30h);
  CHECK(r.spec.options.port_forwarding);
  CHECK_FALSE(r.spec.options.forward_agent);
  CHECK(r.spec.allow.empty());
}

TEST_CASE("bad roles are rejected with the key path", "[role]") {
  const std::string rules = "  allow:\n    rules:\n    - resources: [node]\n";
  CHECK(error_of(kHead + rules + "      verbs: [list, fly]\n") ==
        "spec.allow.rules[0].verbs[1]: unknown verb \"fly\"; expected \"*\" or one of: list, "
        "create, read, update, delete (line 9)");
  CHECK_THAT(
      error_of(kHead + "  deny:\n    rules:\n    - resources: [spaceship]\n      verbs: [read]\n"),
      Catch::StartsWith("spec.deny.rules[0].resources[0]: unknown resource \"spaceship\""));
  CHECK_THAT(error_of(kHead + rules), Catch::StartsWith("spec.allow.rules[0].verbs: a rule needs"));
  CHECK(error_of(kHead + "  options:\n    max_session_ttl: 31h\n") ==
        "spec.options.max_session_ttl: must be between 1m0s and 30h0m0s, got 31h0m0s (line 7)");
  CHECK_THAT(
      error_of(kHead + "  options:\n    max_session_ttl: 30\n"),
      Catch::StartsWith("spec.options.max_session_ttl: invalid duration \"30\": missing unit"));
  CHECK_THAT(error_of(kHead + "  options:\n    cert_format: weird\n"),
             Catch::StartsWith("spec.options.cert_format: expected \"standard\" or \"oldssh\""));
  CHECK_THAT(
      error_of(kHead + "  allow:\n    node_labels:\n      env: {a: b}\n"),
      Catch::StartsWith("spec.allow.node_labels.env: expected a string or a list of strings"));
  CHECK_THAT(error_of(kHead + "  allow:\n    logins: root\n"),
             Catch::StartsWith("spec.allow.logins: expected a list, got \"root\""));
  CHECK_THAT(error_of(kHead + "  allow:\n    max_session_ttl: 1h\n"),
             Catch::StartsWith("spec.allow.max_session_ttl: unknown field"));
  CHECK_THAT(error_of("kind: role\nversion: v2\nmetadata:\n  name: r\n"),
             Catch::StartsWith("version: unsupported version \"v2\" for kind role; expected v3"));
}
