#include "transport/x509_identity.hpp"

#include <catch2/catch.hpp>

#include "x509_test_util.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

TEST_CASE("identity_from_certificate reads name, roles and cluster", "[x509]") {
  auto ca = create_ca("example.com").value();
  auto creds = issue_credentials(ca, leaf("proxy-7", {"proxy", "node"}, {"10.0.0.1"})).value();
  auto id = identity_from_certificate(creds.cert);
  REQUIRE(id.ok());
  CHECK(id->name == "proxy-7");
  CHECK(id->roles == std::vector<std::string>{"proxy", "node"});
  CHECK(id->cluster == "example.com");
  CHECK(id->not_after == creds.cert.not_after());
  CHECK(id->has_role("node"));
  CHECK_FALSE(id->has_role("admin"));
  CHECK_FALSE(id->has_role("auth"));
}

TEST_CASE("identity_from_certificate refuses certificates without a proper identity", "[x509]") {
  auto ca = create_ca("example.com").value();
  // The CA itself has no role.
  auto no_role = identity_from_certificate(ca.cert);
  REQUIRE_FALSE(no_role.ok());
  CHECK_THAT(no_role.message(), Catch::Contains("no role"));
  CHECK_FALSE(identity_from_certificate(x509_certificate{}).ok());

  temp_dir dir;
  auto make = [&](const std::string& subject) {
    auto key = dir.path("k.pem");
    auto cert = dir.path("c.pem");
    auto r =
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
            "-keyout " +
            key + " -out " + cert + " -subj '" + subject + "'");
    REQUIRE(r.status == 0);
    return x509_certificate::from_pem(run("cat " + cert).out).value();
  };
  auto unknown = identity_from_certificate(make("/CN=x/O=superuser"));
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.message(), Catch::Contains("unknown role \"superuser\""));
  auto two_names = identity_from_certificate(make("/CN=x/CN=y/O=node"));
  REQUIRE_FALSE(two_names.ok());
  CHECK_THAT(two_names.message(), Catch::Contains("exactly one common name"));
  auto no_name = identity_from_certificate(make("/O=node"));
  REQUIRE_FALSE(no_name.ok());
  auto dup = identity_from_certificate(make("/CN=x/O=node/O=node"));
  REQUIRE_FALSE(dup.ok());
  CHECK_THAT(dup.message(), Catch::Contains("twice"));
  auto ok = identity_from_certificate(make("/CN=x/O=admin"));
  REQUIRE(ok.ok());
  CHECK(ok->cluster == "x");  // self-signed: its own issuer
}

TEST_CASE("validate_identity_name enforces UTF-8 text", "[x509]") {
  CHECK(validate_identity_name("node-1.example.com", "n").ok());
  CHECK(validate_identity_name("J\xc3\xbcrgen", "n").ok());
  CHECK_FALSE(validate_identity_name("", "n").ok());
  CHECK_FALSE(validate_identity_name("a\tb", "n").ok());
  CHECK_FALSE(validate_identity_name("a\x7f", "n").ok());
  CHECK_FALSE(validate_identity_name("\xc0\xaf", "n").ok());      // overlong '/'
  CHECK_FALSE(validate_identity_name("\xed\xa0\x80", "n").ok());  // surrogate
  CHECK_FALSE(validate_identity_name("\xc3", "n").ok());          // truncated
  CHECK_FALSE(validate_identity_name("\xc2\x85", "n").ok());      // C1 control (NEL)
  CHECK_FALSE(validate_identity_name(std::string(256, 'a'), "n").ok());
  CHECK(validate_identity_name(std::string(255, 'a'), "n").ok());
}
