#include "messages/github_connector.hpp"

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

TEST_CASE("the manual's github.yaml", "[github]") {
  auto gh = as_kind<github_connector>(parse_resource_yaml(read_fixture("github.yaml")));
  REQUIRE(gh);
  CHECK(gh->version == "v3");
  CHECK(gh->meta.name == "github");
  CHECK(gh->spec.client_id == "<client-id>");
  CHECK(gh->spec.client_secret == "<client-secret>");
  CHECK(gh->spec.display == "Github");
  CHECK(gh->spec.redirect_url == "https://<proxy-address>/v1/webapi/github/callback");
  REQUIRE(gh->spec.teams_to_logins.size() == 1);
  CHECK(gh->spec.teams_to_logins[0] == team_mapping{"octocats", "admins", {"root"}, {}});

  const std::string yaml = to_yaml(*gh);
  CHECK(yaml ==
        "kind: github\nversion: v3\nmetadata:\n  name: github\nspec:\n"
        "  client_id: <client-id>\n  display: Github\n"
        "  redirect_url: https://<proxy-address>/v1/webapi/github/callback\n"
        "  teams_to_logins:\n  - organization: octocats\n    team: admins\n    logins:\n"
        "    - root\n");
  github_connector no_secret = *gh;
  no_secret.spec.client_secret.clear();
  CHECK(std::get<github_connector>(*parse_resource_yaml(yaml)) == no_secret);

  const nlohmann::json j = to_json(*gh);
  CHECK(j["spec"]["client_secret"] == "<client-secret>");
  CHECK(std::get<github_connector>(*from_json(j)) == *gh);
  CHECK(std::get<github_connector>(*parse_resource_yaml(to_yaml(*gh, true))) == *gh);
}

TEST_CASE("bad github connectors are rejected", "[github]") {
  const std::string head =
      "kind: github\nversion: v3\nmetadata:\n  name: gh\nspec:\n"
      "  client_id: id\n";
  const std::string url = "  redirect_url: https://p/v1/webapi/github/callback\n";
  CHECK(error_of(head + url +
                 "  teams_to_logins:\n  - organization: octocats\n    logins: [root]\n") ==
        "spec.teams_to_logins[0].team: missing (the team within the organization) (line 9)");
  CHECK_THAT(error_of(head + "  redirect_url: ftp://p/cb\n"),
             Catch::StartsWith("spec.redirect_url: expected an http(s) URL"));
  CHECK_THAT(error_of(head), Catch::StartsWith("spec.redirect_url: missing"));
  CHECK_THAT(error_of(head + url + "  teams_to_logins:\n  - octocats\n"),
             Catch::StartsWith("spec.teams_to_logins[0]: expected a mapping, got \"octocats\""));
  CHECK_THAT(error_of(head + url + "  teams_to_logins:\n  -\n"),
             Catch::StartsWith("spec.teams_to_logins[0]: expected a mapping, got nothing"));
  CHECK_THAT(error_of(head + url + "  teams_to_logins: {organization: x}\n"),
             Catch::StartsWith("spec.teams_to_logins: expected a list, got a mapping"));
}
