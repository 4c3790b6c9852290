#include "transport/x509_ca.hpp"

#include <catch2/catch.hpp>

#include "transport/x509_identity.hpp"
#include "x509_test_util.hpp"

using namespace tp::transport;
using namespace tp::transport::test;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::system_clock;

TEST_CASE("create_ca makes a self-signed CA that openssl accepts", "[x509]") {
  auto algorithm = GENERATE(x509_key_algorithm::ecdsa_p256, x509_key_algorithm::ed25519);
  auto ca = create_ca("example.com", algorithm);
  REQUIRE(ca.ok());
  CHECK(ca->cert.subject_common_name() == "example.com");
  CHECK(ca->cert.issuer_common_name() == "example.com");
  CHECK(ca->cert.is_ca());
  CHECK(ca->cert.is_self_signed());
  auto now = system_clock::now();
  CHECK(ca->cert.not_before() <= now);
  CHECK(ca->cert.not_after() > now + hours(24 * 3650));
  CHECK(ca->cert.not_after() < now + hours(24 * 3660));
  CHECK(check_key_matches(ca->cert, ca->key).ok());

  temp_dir dir;
  auto ca_file = dir.file("ca.pem", pem(ca->cert));
  auto verified = run("openssl verify -CAfile " + ca_file + " " + ca_file);
  INFO(verified.out);
  CHECK(verified.status == 0);
  auto text = run("openssl x509 -noout -text -in " + ca_file);
  CHECK(text.out.find("CA:TRUE") != std::string::npos);
  CHECK(text.out.find("Certificate Sign") != std::string::npos);
  CHECK(text.out.find("CN = example.com") != std::string::npos);
}

TEST_CASE("issued leaf certificates verify with openssl for server and client use", "[x509]") {
  auto algorithm = GENERATE(x509_key_algorithm::ecdsa_p256, x509_key_algorithm::ed25519);
  auto ca = create_ca("example.com", algorithm);
  REQUIRE(ca.ok());
  auto leaf_creds = issue_credentials(
      *ca, leaf("node-1", {"node", "proxy"}, {"localhost", "127.0.0.1", "::1", "*.example.com"}),
      algorithm);
  REQUIRE(leaf_creds.ok());
  const auto& cert = leaf_creds->cert;
  CHECK(!cert.is_ca());
  CHECK(cert.subject_common_name() == "node-1");
  CHECK(cert.issuer_common_name() == "example.com");
  CHECK(verify_x509_chain(cert, ca->cert, x509_purpose::tls_server).ok());
  CHECK(verify_x509_chain(cert, ca->cert, x509_purpose::tls_client).ok());

  temp_dir dir;
  auto ca_file = dir.file("ca.pem", pem(ca->cert));
  auto leaf_file = dir.file("leaf.pem", pem(cert));
  for (const char* purpose : {"sslserver", "sslclient"}) {
    auto r = run(std::string("openssl verify -purpose ") + purpose + " -CAfile " + ca_file + " " +
                 leaf_file);
    INFO(r.out);
    CHECK(r.status == 0);
  }
  auto text = run("openssl x509 -noout -text -in " + leaf_file).out;
  INFO(text);
  CHECK(text.find("CN = node-1, O = node, O = proxy") != std::string::npos);
  CHECK(text.find("DNS:localhost") != std::string::npos);
  CHECK(text.find("IP Address:127.0.0.1") != std::string::npos);
  CHECK(text.find("IP Address:0:0:0:0:0:0:0:1") != std::string::npos);
  CHECK(text.find("DNS:*.example.com") != std::string::npos);
  CHECK(text.find("TLS Web Server Authentication, TLS Web Client Authentication") !=
        std::string::npos);
  CHECK(text.find("CA:FALSE") != std::string::npos);
}

TEST_CASE("a leaf can be issued for a key made elsewhere", "[x509]") {
  temp_dir dir;
  auto key_file = dir.path("key.pem");
  REQUIRE(run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + key_file)
              .status == 0);
  auto pub_pem = run("openssl pkey -pubout -in " + key_file);
  REQUIRE(pub_pem.status == 0);
  auto pub = x509_public_key::from_pem(pub_pem.out);
  REQUIRE(pub.ok());
  auto ca = create_ca("c1");
  REQUIRE(ca.ok());
  auto cert = issue_certificate(*ca, *pub, leaf("tctl", {"admin"}));
  REQUIRE(cert.ok());
  CHECK(cert->key() == *pub);
  // The key holder can use it: openssl agrees the key matches the certificate.
  auto cert_file = dir.file("cert.pem", pem(*cert));
  auto priv_pem = run("cat " + key_file);
  auto creds = credentials_from_pem(pem(*cert), priv_pem.out);
  CHECK(creds.ok());
}

TEST_CASE("certificates from another CA or outside their window do not verify", "[x509]") {
  auto now = system_clock::now();
  auto ca = create_ca("example.com", x509_key_algorithm::ecdsa_p256, now - hours(3)).value();
  auto other = create_ca("example.com").value();  // same name, different key
  auto good = issue_credentials(ca, leaf("n", {"node"})).value();
  CHECK_FALSE(verify_x509_chain(good.cert, other.cert, x509_purpose::tls_client).ok());

  leaf_request expired_req = leaf("n", {"node"});
  expired_req.not_before = now - hours(2);
  expired_req.not_after = now - hours(1);
  auto expired = issue_credentials(ca, expired_req).value();
  auto st = verify_x509_chain(expired.cert, ca.cert, x509_purpose::tls_client);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("expired"));
  // ...but it was valid back then.
  CHECK(verify_x509_chain(expired.cert, ca.cert, x509_purpose::tls_client, now - minutes(90)).ok());

  temp_dir dir;
  auto r = run("openssl verify -CAfile " + dir.file("other.pem", pem(other.cert)) + " " +
               dir.file("leaf.pem", pem(good.cert)));
  CHECK(r.status != 0);
  r = run("openssl verify -CAfile " + dir.file("ca.pem", pem(ca.cert)) + " " +
          dir.file("expired.pem", pem(expired.cert)));
  CHECK(r.status != 0);
  CHECK_THAT(r.out, Catch::Contains("expired"));
  // A leaf is not a CA: nothing it "signs" verifies.
  CHECK_FALSE(verify_x509_chain(good.cert, good.cert, x509_purpose::any).ok());
}

TEST_CASE("issuing refuses bad requests with a clear error", "[x509]") {
  auto ca = create_ca("example.com").value();
  auto key = x509_private_key::generate().value().public_part();
  auto expect_error = [&](const leaf_request& req, const std::string& needle) {
    auto r = issue_certificate(ca, key, req);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains(needle));
  };
  expect_error(leaf("", {"node"}), "empty");
  expect_error(leaf("a\nb", {"node"}), "control");
  expect_error(leaf(std::string(256, 'a'), {"node"}), "longer than 255");
  expect_error(leaf("n", {}), "at least one role");
  expect_error(leaf("n", {"root"}), "unknown role \"root\"");
  expect_error(leaf("n", {"node", "node"}), "twice");
  expect_error(leaf("n", {"node"}, {"a,IP:1.2.3.4"}), "neither an IP address nor a valid DNS name");
  expect_error(leaf("n", {"node"}, {"under_score"}), "neither");
  expect_error(leaf("n", {"node"}, {std::string("1.2.3.4\0x", 9)}), "neither");
  expect_error(leaf("n", {"node"}, {""}), "neither");
  auto req = leaf("n", {"node"});
  req.not_after = req.not_before;
  expect_error(req, "validity window is empty");
  expect_error(leaf("n", {"node"}, {}, hours(24 * 365 * 20)), "outlive");

  auto other = create_ca("x").value();
  auto r = issue_certificate(tls_credentials{ca.cert, other.key}, key, leaf("n", {"node"}));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("does not belong"));
  auto leaf_creds = issue_credentials(ca, leaf("n", {"node"})).value();
  r = issue_certificate(leaf_creds, key, leaf("m", {"node"}));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("not a CA"));
  CHECK_FALSE(issue_certificate(ca, x509_public_key{}, leaf("n", {"node"})).ok());
  CHECK_FALSE(create_ca("").ok());
}

TEST_CASE("long names survive a round trip through openssl", "[x509]") {
  std::string name(200, 'n');
  auto ca = create_ca(std::string(100, 'c')).value();
  auto creds = issue_credentials(ca, leaf(name, {"node"})).value();
  CHECK(creds.cert.subject_common_name() == name);
  temp_dir dir;
  auto r = run("openssl verify -CAfile " + dir.file("ca.pem", pem(ca.cert)) + " " +
               dir.file("leaf.pem", pem(creds.cert)));
  INFO(r.out);
  CHECK(r.status == 0);
}
