#include "messages/cert_authority.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "messages/resource.hpp"

using namespace tp::messages;
using namespace std::chrono_literals;
using tp::messages::testing::read_fixture;
using tp::messages::testing::strip_comment_lines;

namespace {

std::string error_of(const std::string& text) {
  auto r = parse_resource_yaml(text);
  REQUIRE_FALSE(r);
  return r.message();
}

cert_authority with_secrets() {
  auto ca = as_kind<cert_authority>(parse_resource_yaml(read_fixture("cert_authority_host.yaml")));
  REQUIRE(ca);
  ca->spec.signing_keys = {"-----BEGIN PRIVATE KEY-----\nSIGNING\n-----END PRIVATE KEY-----\n"};
  ca->spec.tls_key_pairs.at(0).key =
      "-----BEGIN PRIVATE KEY-----\nTLS\n-----END PRIVATE KEY-----\n";
  ca->spec.roles = {"admin"};
  ca->spec.role_map = {{"*", {"admin"}}};
  ca->spec.rotation_state.state = "in_progress";
  ca->spec.rotation_state.phase = "update_clients";
  ca->spec.rotation_state.mode = "manual";
  ca->spec.rotation_state.current_id = "b7a5";
  ca->spec.rotation_state.started = *parse_rfc3339("2018-05-17T03:51:00Z");
  ca->spec.rotation_state.grace_period = 30h;
  ca->spec.rotation_state.schedule.standby = *parse_rfc3339("2018-05-18T09:51:00Z");
  return std::move(*ca);
}

}  // namespace

TEST_CASE("a host CA parses with its public keys", "[cert_authority]") {
  const std::string text = read_fixture("cert_authority_host.yaml");
  auto ca = as_kind<cert_authority>(parse_resource_yaml(text));
  REQUIRE(ca);
  CHECK(ca->spec.type == ca_type::host);
  CHECK(ca->spec.cluster_name == "main");
  REQUIRE(ca->spec.checking_keys.size() == 1);
  CHECK_THAT(ca->spec.checking_keys[0], Catch::StartsWith("ssh-ed25519 AAAA"));
  REQUIRE(ca->spec.tls_key_pairs.size() == 1);
  CHECK_THAT(ca->spec.tls_key_pairs[0].cert,
             Catch::StartsWith("-----BEGIN CERTIFICATE-----\nMIIB") &&
                 Catch::EndsWith("\n-----END CERTIFICATE-----\n"));
  CHECK(ca->spec.signing_alg == "ssh-ed25519");
  CHECK(to_yaml(*ca) == strip_comment_lines(text));
}

TEST_CASE("CA private keys stay out of YAML but round-trip through JSON", "[cert_authority]") {
  const cert_authority ca = with_secrets();
  const std::string yaml = to_yaml(ca);
  CHECK_THAT(yaml, !Catch::Contains("PRIVATE KEY") && !Catch::Contains("signing_keys"));
  CHECK_THAT(yaml, Catch::Contains("BEGIN CERTIFICATE") && Catch::Contains("state: in_progress") &&
                       Catch::Contains("grace_period: 30h0m0s"));

  const nlohmann::json j = to_json(ca);
  CHECK(j["spec"]["signing_keys"].size() == 1);
  CHECK(j["spec"]["tls_key_pairs"][0].contains("key"));
  auto back = from_json(j);
  REQUIRE(back);
  CHECK(std::get<cert_authority>(*back) == ca);
  auto full = parse_resource_yaml(to_yaml(ca, true));
  REQUIRE(full);
  CHECK(std::get<cert_authority>(*full) == ca);

  cert_authority expected = ca;
  expected.spec.signing_keys.clear();
  expected.spec.tls_key_pairs[0].key.clear();
  CHECK(std::get<cert_authority>(*parse_resource_yaml(yaml)) == expected);
}

TEST_CASE("CA defaults and algorithm names", "[cert_authority]") {
  auto ca = as_kind<cert_authority>(
      parse_resource_yaml("kind: cert_authority\nmetadata:\n  name: east\nspec:\n  type: user\n"
                          "  signing_alg: RSA_SHA2_512\n"));
  REQUIRE(ca);
  CHECK(ca->spec.type == ca_type::user);
  CHECK(ca->spec.cluster_name == "east");
  CHECK(ca->spec.signing_alg == "rsa-sha2-512");
}

TEST_CASE("bad CAs are rejected", "[cert_authority]") {
  const std::string head = "kind: cert_authority\nmetadata:\n  name: main\nspec:\n";
  CHECK(error_of(head + "  type: both\n") ==
        "spec.type: expected \"user\" or \"host\", got \"both\" (line 5)");
  CHECK_THAT(error_of(head + "  cluster_name: main\n"),
             Catch::StartsWith("spec.type: missing; expected \"user\" or \"host\""));
  CHECK_THAT(error_of(head + "  type: host\n  signing_alg: md5\n"),
             Catch::StartsWith("spec.signing_alg: unknown algorithm \"md5\""));
  CHECK_THAT(error_of(head + "  type: host\n  rotation:\n    phase: sideways\n"),
             Catch::StartsWith("spec.rotation.phase: expected one of"));
  CHECK_THAT(error_of(head + "  type: host\n  tls_key_pairs:\n  - key: k\n"),
             Catch::StartsWith("spec.tls_key_pairs[0].cert: missing"));
  CHECK_THAT(error_of(head + "  type: host\n  role_map:\n  - remote: admin\n"),
             Catch::StartsWith("spec.role_map[0].local: missing"));
  CHECK_THAT(error_of(head + "  type: host\n  checking_keys: [[nested]]\n"),
             Catch::StartsWith("spec.checking_keys[0]: expected a string, got a list"));
}
