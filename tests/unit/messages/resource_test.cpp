#include "messages/resource.hpp"

#include <cstdint>

#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace tp::messages;
using tp::messages::testing::read_fixture;

namespace {

const char* const kFixtures[] = {
    "user_joe.yaml",
    "role_admin.yaml",
    "role_dba.yaml",
    "node_turing.yaml",
    "token_node.yaml",
    "cert_authority_host.yaml",
    "trusted_cluster_main.yaml",
    "github.yaml",
    "saml_okta.yaml",
    "oidc_google.yaml",
};

std::string error_of(const std::string& text) {
  auto r = parse_resource_yaml(text);
  REQUIRE_FALSE(r);
  return r.message();
}

}  // namespace

TEST_CASE("every fixture round-trips through YAML and JSON", "[resource]") {
  for (const char* name : kFixtures) {
    INFO(name);
    auto r = parse_resource_yaml(read_fixture(name));
    REQUIRE(r);
    auto via_yaml = parse_resource_yaml(to_yaml(*r, true));
    REQUIRE(via_yaml);
    CHECK(*via_yaml == *r);
    auto via_json = from_json(to_json(*r));
    REQUIRE(via_json);
    CHECK(*via_json == *r);
    auto via_text = parse_resource_json(to_json(*r).dump(2));
    REQUIRE(via_text);
    CHECK(*via_text == *r);
    // Printing is stable: what tctl prints reads back to the same text.
    const std::string once = to_yaml(*r);
    CHECK(to_yaml(*parse_resource_yaml(once)) == once);
  }
}

TEST_CASE("kinds, refs and aliases", "[resource]") {
  auto joe = parse_resource_yaml(read_fixture("user_joe.yaml"));
  REQUIRE(joe);
  CHECK(kind_of(*joe) == resource_kind::user);
  CHECK(resource_ref(*joe) == "user/joe");
  CHECK(version_of(*joe) == "v2");
  meta_of(*joe).description = "changed";
  CHECK(std::get<user>(*joe).meta.description == "changed");

  CHECK(parse_resource_kind_alias("users") == resource_kind::user);
  CHECK(parse_resource_kind_alias("cluster") == resource_kind::trusted_cluster);
  CHECK(parse_resource_kind_alias("saml") == resource_kind::saml);
  CHECK(parse_resource_kind_alias("cert_authorities") == resource_kind::cert_authority);
  CHECK_FALSE(parse_resource_kind_alias("bogus"));
  CHECK_FALSE(parse_resource_kind("users"));  // files must use the exact kind
  for (std::size_t i = 0; i < resource_kind_count; ++i) {
    const auto k = static_cast<resource_kind>(i);
    CHECK(parse_resource_kind(to_string(k)) == k);
  }

  auto wrong = as_kind<role>(parse_resource_yaml(read_fixture("user_joe.yaml")));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.message() == "expected a resource of kind role, got user");
}

TEST_CASE("multi-document files as tctl create takes them", "[resource]") {
  auto all = parse_resources_yaml(read_fixture("multi.yaml"));
  REQUIRE(all);
  REQUIRE(all->size() == 3);  // the trailing "---" adds nothing
  CHECK(std::get<user>((*all)[0]).logins() == std::vector<std::string>{"bob"});
  CHECK(std::get<provision_token>((*all)[1]).version == "v2");  // default version
  CHECK(std::get<provision_token>((*all)[1]).spec.roles ==
        std::vector<system_role>{system_role::proxy});
  CHECK_FALSE(std::get<trusted_cluster>((*all)[2]).spec.enabled);

  const std::string printed = to_yaml(*all);
  CHECK_THAT(printed, Catch::Contains("\n---\nkind: token\n") &&
                          Catch::Contains("\n---\nkind: trusted_cluster\n"));
  auto again = parse_resources_yaml(printed);
  REQUIRE(again);
  CHECK(*again == *all);

  auto one = parse_resource_yaml(read_fixture("multi.yaml"));
  REQUIRE_FALSE(one);
  CHECK(one.message() == "expected one resource, found 3 documents");

  auto bad = parse_resources_yaml(
      "kind: user\nmetadata:\n  name: a\n---\nkind: user\nmetadata:\n  name: b\nspec:\n"
      "  roles: admin\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.message() == "document 2: spec.roles: expected a list, got \"admin\" (line 9)");
}

TEST_CASE("every kind of bad input gets a clear error", "[resource]") {
  CHECK_THAT(error_of("metadata:\n  name: joe\n"),
             Catch::StartsWith("kind: missing; expected one of: user, role, node"));
  CHECK(error_of("kind: usr\nmetadata:\n  name: joe\n") ==
        "kind: unknown resource kind \"usr\"; expected one of: user, role, node, cert_authority, "
        "token, trusted_cluster, github, saml, oidc (line 1)");
  CHECK(error_of("kind: user\nversion: v2\nspec:\n  roles: [admin]\n") ==
        "metadata.name: missing (every resource needs a name) (line 1)");
  CHECK(error_of("kind: user\nmetadata:\n  description: x\n") ==
        "metadata.name: missing (every resource needs a name) (line 2)");
  CHECK(error_of("kind: user\nmetadata:\n  name: a/b\n") ==
        "metadata.name: invalid name \"a/b\": must not contain '/' (line 3)");
  CHECK_THAT(error_of("kind: user\nmetadata:\n  name: '..'\n"),
             Catch::Contains("must not be \".\" or \"..\""));
  CHECK_THAT(error_of("kind: user\nmetadata:\n  name: \"jo\\te\"\n"),
             Catch::Contains("must not contain whitespace or control characters"));
  CHECK(error_of("kind: user\nmetadata:\n  name: [joe]\n") ==
        "metadata.name: expected a string, got a list (line 3)");
  CHECK(error_of("kind: user\nmetadata:\n  name: joe\nspec: [1, 2]\n") ==
        "spec: expected a mapping, got a list (line 4)");
  CHECK(error_of("kind: user\nmetadata:\n  name: joe\ncolour: blue\n") ==
        "colour: unknown field; expected one of: kind, metadata, spec, version (line 4)");
  CHECK(error_of("kind: user\nversion: v9\nmetadata:\n  name: joe\n") ==
        "version: unsupported version \"v9\" for kind user; expected v2 (line 2)");
  CHECK_THAT(
      error_of("kind: user\nmetadata:\n  name: joe\n  labels:\n    'bad key!': x\n"),
      Catch::StartsWith("metadata.labels.bad key!: label key \"bad key!\" may contain only"));
  CHECK_THAT(error_of("kind: user\nmetadata:\n  name: joe\n  labels:\n    env: [a, b]\n"),
             Catch::StartsWith("metadata.labels.env: expected a string, got a list"));
  CHECK_THAT(error_of("kind: user\nmetadata:\n  name: joe\n  owner: me\n"),
             Catch::StartsWith("metadata.owner: unknown field; expected one of: description, "
                               "expires, labels, name, namespace"));
  CHECK(error_of("just text") ==
        "expected a resource (a mapping with kind, version, metadata and spec), got \"just text\" "
        "(line 1)");
  CHECK_THAT(error_of("kind: user\nmetadata: {name: joe\n"),
             Catch::StartsWith("invalid YAML at line"));
  CHECK(error_of("") == "no resources found in the YAML input");
  CHECK(error_of("# only a comment\n---\n") == "no resources found in the YAML input");
}

TEST_CASE("JSON input: typed values, errors without lines", "[resource]") {
  auto tc = from_json(
      nlohmann::json{{"kind", "trusted_cluster"},
                     {"version", "v2"},
                     {"metadata", {{"name", "main"}}},
                     {"spec", {{"enabled", false}, {"token", "t"}, {"web_proxy_addr", "h:3080"}}}});
  REQUIRE(tc);
  CHECK_FALSE(std::get<trusted_cluster>(*tc).spec.enabled);

  auto bad = from_json(nlohmann::json{
      {"kind", "user"}, {"metadata", {{"name", "joe"}}}, {"spec", {{"roles", "admin"}}}});
  REQUIRE_FALSE(bad);
  CHECK(bad.message() == "spec.roles: expected a list, got \"admin\"");

  auto not_json = parse_resource_json("{\"kind\": ");
  REQUIRE_FALSE(not_json);
  CHECK_THAT(not_json.message(), Catch::StartsWith("invalid JSON: ") && Catch::Contains("line 1"));
  auto deep = parse_resource_json(std::string(10000, '[') + std::string(10000, ']'));
  REQUIRE_FALSE(deep);
  CHECK(deep.message() == "invalid JSON: nesting is too deep");
  CHECK_FALSE(from_json(nlohmann::json::array()));
}

TEST_CASE("mangled input never crashes the parser", "[resource]") {
  // Deterministic byte flips, cuts and duplications of every fixture.
  std::uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  std::size_t parsed = 0, rejected = 0;
  for (const char* name : kFixtures) {
    const std::string original = read_fixture(name);
    for (int i = 0; i < 150; ++i) {
      std::string text = original;
      const std::size_t pos = next() % text.size();
      switch (next() % 4) {
        case 0:
          text[pos] = static_cast<char>(next() % 256);
          break;
        case 1:
          text.erase(pos, next() % 16);
          break;
        case 2:
          text.insert(pos, text.substr(pos, next() % 32));
          break;
        default:
          text.insert(pos, 1, "-:[]{}&*!|>'\"%@`#\t\n "[next() % 21]);
          break;
      }
      auto r = parse_resources_yaml(text);
      if (r) {
        ++parsed;
        for (const auto& res : *r) {
          CHECK(parse_resources_yaml(to_yaml(res, true)));
          CHECK_NOTHROW(to_json(res).dump());  // the backend stores what we accept
        }
      } else {
        ++rejected;
        CHECK_FALSE(r.message().empty());
      }
    }
  }
  CHECK(parsed > 0);
  CHECK(rejected > 0);
}
