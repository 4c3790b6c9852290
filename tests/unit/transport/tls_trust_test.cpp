#include "transport/tls_trust.hpp"

#include <catch2/catch.hpp>

#include "tls_test_util.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

std::vector<x509_certificate> presented(const pki& p) {
  return {p.server.cert, p.ca.cert};
}

}  // namespace

TEST_CASE("a client with the cluster CA trusts only that cluster's auth servers", "[tls][trust]") {
  const pki& p = shared_pki();
  server_trust trust;
  trust.ca = p.ca.cert;
  auto ok = check_server_chain(presented(p), trust);
  REQUIRE(ok.ok());
  CHECK(ok->identity.name == "auth-1");
  CHECK(ok->identity.cluster == "example.com");
  CHECK(ok->ca_pin == ca_pin(p.ca.cert));
  // The leaf alone is enough when the client has the CA.
  CHECK(check_server_chain({p.server.cert}, trust).ok());

  // Same cluster name, different CA key: not trusted, whatever CA the server sends.
  pki other;
  auto foreign = check_server_chain(presented(other), trust);
  REQUIRE_FALSE(foreign.ok());
  CHECK_THAT(foreign.message(), Catch::Contains("not trusted"));

  // A node of the right cluster cannot pose as the auth server.
  auto node = check_server_chain({p.node.cert, p.ca.cert}, trust);
  REQUIRE_FALSE(node.ok());
  CHECK_THAT(node.message(), Catch::Contains("without the auth role"));
  trust.expected_role = "";
  CHECK(check_server_chain({p.node.cert, p.ca.cert}, trust).ok());
  CHECK_FALSE(check_server_chain({}, trust).ok());
}

TEST_CASE("a joining client checks the presented CA against its pin", "[tls][trust]") {
  const pki& p = shared_pki();
  server_trust trust;
  trust.ca_pin = ca_pin(p.ca.cert);
  auto ok = check_server_chain(presented(p), trust);
  REQUIRE(ok.ok());
  CHECK(ok->ca_pin == ca_pin(p.ca.cert));

  pki other;
  auto bad = check_server_chain(presented(other), trust);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message() == "the auth server's CA pin " + ca_pin(other.ca.cert) +
                             " does not match the expected pin " + ca_pin(p.ca.cert));

  // The right CA sent alongside a leaf it did not sign.
  auto mixed = check_server_chain({other.server.cert, p.ca.cert}, trust);
  REQUIRE_FALSE(mixed.ok());
  CHECK_THAT(mixed.message(), Catch::Contains("not trusted"));

  auto no_ca = check_server_chain({p.server.cert}, trust);
  REQUIRE_FALSE(no_ca.ok());
  CHECK_THAT(no_ca.message(), Catch::Contains("did not send its CA certificate"));

  // A pin together with a CA: both must agree.
  server_trust both;
  both.ca = p.ca.cert;
  both.ca_pin = ca_pin(other.ca.cert);
  auto disagree = check_server_chain(presented(p), both);
  REQUIRE_FALSE(disagree.ok());
  CHECK_THAT(disagree.message(), Catch::Contains("does not match the expected pin"));
}

TEST_CASE("insecure mode reports the presented CA's pin", "[tls][trust]") {
  const pki& p = shared_pki();
  server_trust none;
  auto refused = check_server_chain(presented(p), none);
  REQUIRE_FALSE(refused.ok());
  none.allow_insecure = true;
  auto ok = check_server_chain(presented(p), none);
  REQUIRE(ok.ok());
  CHECK(ok->ca_pin == ca_pin(p.ca.cert));
}

TEST_CASE("the optional name check follows the server's SANs", "[tls][trust]") {
  const pki& p = shared_pki();
  server_trust trust;
  trust.ca = p.ca.cert;
  for (const char* good : {"127.0.0.1", "localhost"}) {
    trust.expected_name = good;
    CHECK(check_server_chain(presented(p), trust).ok());
  }
  for (const char* bad : {"10.0.0.1", "auth.example.com", "::1"}) {
    trust.expected_name = bad;
    auto r = check_server_chain(presented(p), trust);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains("not valid for"));
  }
}

TEST_CASE("an expired server certificate is not trusted", "[tls][trust]") {
  const pki& p = shared_pki();
  auto now = std::chrono::system_clock::now();
  auto req = leaf("auth-1", {"auth"});
  req.not_before = now - std::chrono::hours(2);
  req.not_after = now - std::chrono::hours(1);
  auto old = issue_credentials(p.ca, req);
  // The CA itself starts a minute ago; the window is still representable.
  REQUIRE(old.ok());
  server_trust trust;
  trust.ca = p.ca.cert;
  auto r = check_server_chain({old->cert, p.ca.cert}, trust);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("expired"));
}

TEST_CASE("during a CA rotation a client trusts the old and the new CA", "[tls][trust]") {
  const pki& old_ca = shared_pki();
  pki new_ca;  // same cluster name, another key: the next generation
  server_trust trust;
  trust.ca = new_ca.ca.cert;
  trust.also_trusted = {old_ca.ca.cert};
  auto by_old = check_server_chain({old_ca.server.cert, old_ca.ca.cert}, trust);
  REQUIRE(by_old.ok());
  CHECK(by_old->ca_pin == ca_pin(old_ca.ca.cert));  // the anchor that signed it
  auto by_new = check_server_chain({new_ca.server.cert}, trust);
  REQUIRE(by_new.ok());
  CHECK(by_new->ca_pin == ca_pin(new_ca.ca.cert));
  // Once the rotation ends, the old generation is not trusted any more.
  trust.also_trusted.clear();
  CHECK_FALSE(check_server_chain({old_ca.server.cert, old_ca.ca.cert}, trust).ok());
  // A third CA is never trusted.
  pki stranger;
  trust.also_trusted = {old_ca.ca.cert};
  CHECK_FALSE(check_server_chain({stranger.server.cert, stranger.ca.cert}, trust).ok());
}
