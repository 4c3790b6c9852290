#include "messages/trusted_cluster.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "messages/resource.hpp"

using namespace tp::messages;
using tp::messages::testing::read_fixture;
using tp::messages::testing::strip_comment_lines;

namespace {

std::string error_of(const std::string& text) {
  auto r = parse_resource_yaml(text);
  REQUIRE_FALSE(r);
  return r.message();
}

}  // namespace

TEST_CASE("the manual's cluster.yaml", "[trusted_cluster]") {
  const std::string text = read_fixture("trusted_cluster_main.yaml");
  auto tc = as_kind<trusted_cluster>(parse_resource_yaml(text));
  REQUIRE(tc);
  CHECK(tc->meta.name == "main");
  CHECK(tc->spec.enabled);
  CHECK(tc->spec.token == "secret-token-to-add-new-clusters");
  CHECK(tc->spec.tunnel_addr == "main.example.com:3024");
  CHECK(tc->spec.web_proxy_addr == "main.example.com:3080");
  CHECK(to_yaml(*tc) == strip_comment_lines(text));
}

TEST_CASE("disabling trust and role maps round-trip", "[trusted_cluster]") {
  auto tc =
      as_kind<trusted_cluster>(parse_resource_yaml(read_fixture("trusted_cluster_main.yaml")));
  REQUIRE(tc);
  tc->spec.enabled = false;
  tc->spec.role_map = {{"admin", {"admin"}}, {"*", {"guest", "auditor"}}};
  const std::string yaml = to_yaml(*tc);
  CHECK_THAT(yaml,
             Catch::Contains("  enabled: false\n") &&
                 Catch::Contains("  role_map:\n  - remote: admin\n    local:\n    - admin\n"));
  CHECK(std::get<trusted_cluster>(*parse_resource_yaml(yaml)) == *tc);
  CHECK(std::get<trusted_cluster>(*from_json(to_json(*tc))) == *tc);
}

TEST_CASE("bad trusted clusters are rejected", "[trusted_cluster]") {
  const std::string head = "kind: trusted_cluster\nversion: v2\nmetadata:\n  name: main\nspec:\n";
  CHECK_THAT(error_of(head + "  web_proxy_addr: main.example.com:3080\n"),
             Catch::StartsWith("spec.token: missing"));
  CHECK(error_of(head + "  token: t\n  web_proxy_addr: main.example.com\n") ==
        "spec.web_proxy_addr: expected host:port, got \"main.example.com\" (line 7)");
  CHECK_THAT(error_of(head + "  token: t\n  web_proxy_addr: h:3080\n  tunnel_addr: h:99999\n"),
             Catch::StartsWith("spec.tunnel_addr: expected host:port"));
  CHECK_THAT(error_of(head + "  enabled: sometimes\n"),
             Catch::StartsWith("spec.enabled: expected true or false"));
  CHECK_THAT(error_of(head + "  token: t\n  web_proxy_addr: h:3080\n  role_map:\n  - local: [x]\n"),
             Catch::StartsWith("spec.role_map[0].remote: missing"));
}
