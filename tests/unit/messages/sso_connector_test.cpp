#include "messages/sso_connector.hpp"

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

TEST_CASE("SAML connectors are kept as data, minus the private key in YAML", "[saml]") {
  auto saml = as_kind<saml_connector>(parse_resource_yaml(read_fixture("saml_okta.yaml")));
  REQUIRE(saml);
  CHECK(saml->meta.name == "okta");
  CHECK(saml->spec["acs"] == "https://teleport.example.com:3080/v1/webapi/saml/acs");
  CHECK(saml->spec["attributes_to_roles"][0]["roles"][0] == "admin");
  CHECK(saml->spec["signing_key_pair"]["private_key"] == "KEY-PEM");

  const std::string yaml = to_yaml(*saml);
  CHECK_THAT(yaml, !Catch::Contains("KEY-PEM") && Catch::Contains("cert: CERT-PEM"));
  auto back = as_kind<saml_connector>(parse_resource_yaml(yaml));
  REQUIRE(back);
  CHECK_FALSE(back->spec["signing_key_pair"].contains("private_key"));
  CHECK(std::get<saml_connector>(*from_json(to_json(*saml))) == *saml);
  CHECK(std::get<saml_connector>(*parse_resource_yaml(to_yaml(*saml, true))) == *saml);
}

TEST_CASE("OIDC connectors hide the client secret in YAML", "[oidc]") {
  auto oidc = as_kind<oidc_connector>(parse_resource_yaml(read_fixture("oidc_google.yaml")));
  REQUIRE(oidc);
  CHECK(oidc->spec["client_secret"] == "oidc-secret");
  CHECK(oidc->spec["scope"] == nlohmann::json::array({"email"}));
  CHECK_THAT(to_yaml(*oidc), !Catch::Contains("oidc-secret") && Catch::Contains("issuer_url"));
  CHECK(to_json(*oidc)["spec"]["client_secret"] == "oidc-secret");
  CHECK(std::get<oidc_connector>(*from_json(to_json(*oidc))) == *oidc);
}

TEST_CASE("SSO connectors still need their essential fields", "[saml][oidc]") {
  CHECK_THAT(error_of("kind: oidc\nmetadata:\n  name: g\nspec:\n  client_id: x\n"),
             Catch::StartsWith("spec.issuer_url: missing"));
  CHECK_THAT(error_of("kind: saml\nmetadata:\n  name: s\nspec:\n  acs: [a]\n"),
             Catch::StartsWith("spec.acs: expected a string, got a list"));
  CHECK_THAT(error_of("kind: saml\nmetadata:\n  name: s\nspec: [acs]\n"),
             Catch::StartsWith("spec: expected a mapping, got a list"));
}
