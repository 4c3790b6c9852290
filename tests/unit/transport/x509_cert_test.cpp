#include "transport/x509_cert.hpp"

#include <catch2/catch.hpp>

#include "x509_test_util.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

TEST_CASE("certificates round-trip through PEM and DER", "[x509]") {
  auto ca = create_ca("example.com").value();
  auto pem_text = ca.cert.to_pem().value();
  CHECK(pem_text.starts_with("-----BEGIN CERTIFICATE-----"));
  auto back = x509_certificate::from_pem(pem_text);
  REQUIRE(back.ok());
  CHECK(*back == ca.cert);
  auto der = ca.cert.to_der().value();
  auto from_der = x509_certificate::from_der(der);
  REQUIRE(from_der.ok());
  CHECK(*from_der == ca.cert);

  auto other = create_ca("example.com").value();
  CHECK_FALSE(other.cert == ca.cert);
  auto chain = x509_certificate::chain_from_pem(pem_text + other.cert.to_pem().value());
  REQUIRE(chain.ok());
  REQUIRE(chain->size() == 2);
  CHECK((*chain)[1] == other.cert);
}

TEST_CASE("bad certificate input is refused with an error", "[x509]") {
  auto ca = create_ca("example.com").value();
  auto der = ca.cert.to_der().value();
  auto pem_text = ca.cert.to_pem().value();
  CHECK_FALSE(x509_certificate::from_pem("").ok());
  CHECK_FALSE(x509_certificate::from_pem("hello").ok());
  CHECK_FALSE(x509_certificate::from_pem(pem_text.substr(0, pem_text.size() / 2)).ok());
  CHECK_FALSE(x509_certificate::from_der("").ok());
  CHECK_FALSE(x509_certificate::from_der(der.substr(0, der.size() - 1)).ok());
  auto trailing = x509_certificate::from_der(der + "x");
  REQUIRE_FALSE(trailing.ok());
  CHECK_THAT(trailing.message(), Catch::Contains("trailing"));
  // A broken second certificate fails the whole chain.
  auto bad_chain = x509_certificate::chain_from_pem(
      pem_text + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  CHECK_FALSE(bad_chain.ok());
  std::string many;
  for (int i = 0; i < 17; ++i) many += pem_text;
  CHECK_FALSE(x509_certificate::chain_from_pem(many).ok());
  // Every single-byte corruption of the DER is either refused or parses to something else.
  for (std::size_t i = 0; i < der.size(); i += 7) {
    std::string corrupt = der;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
    auto r = x509_certificate::from_der(corrupt);
    if (r.ok()) {
      CHECK_FALSE(*r == ca.cert);
    }
  }
}

TEST_CASE("private keys round-trip as unencrypted PKCS#8 PEM", "[x509]") {
  auto algorithm = GENERATE(x509_key_algorithm::ecdsa_p256, x509_key_algorithm::ed25519);
  auto key = x509_private_key::generate(algorithm).value();
  auto pem_text = key.to_pem().value();
  CHECK(pem_text.starts_with("-----BEGIN PRIVATE KEY-----"));
  auto back = x509_private_key::from_pem(pem_text);
  REQUIRE(back.ok());
  CHECK(back->public_part() == key.public_part());
  auto pub_pem = key.public_part().to_pem().value();
  CHECK(pub_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
  CHECK(x509_public_key::from_pem(pub_pem).value() == key.public_part());
  CHECK(x509_public_key::from_der(key.public_part().to_der().value()).value() == key.public_part());

  temp_dir dir;
  auto r = run("openssl pkey -noout -in " + dir.file("k.pem", pem_text));
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("encrypted, weak or garbage keys are refused without prompting", "[x509]") {
  temp_dir dir;
  auto enc = dir.path("enc.pem");
  REQUIRE(run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-128-cbc "
              "-pass pass:secret -out " +
              enc)
              .status == 0);
  auto enc_pem = run("cat " + enc).out;
  auto r = x509_private_key::from_pem(enc_pem);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("encrypted"));

  auto rsa = dir.path("rsa.pem");
  REQUIRE(run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out " + rsa).status ==
          0);
  auto weak = x509_private_key::from_pem(run("cat " + rsa).out);
  REQUIRE_FALSE(weak.ok());
  CHECK_THAT(weak.message(), Catch::Contains("2048"));

  CHECK_FALSE(x509_private_key::from_pem("").ok());
  CHECK_FALSE(
      x509_private_key::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
          .ok());
  CHECK_FALSE(x509_public_key::from_der("\x30\x03\x02\x01\x01").ok());
  CHECK_FALSE(x509_private_key{}.to_pem().ok());
}

TEST_CASE("ca_pin equals the openssl pipeline's SPKI hash", "[x509]") {
  auto algorithm = GENERATE(x509_key_algorithm::ecdsa_p256, x509_key_algorithm::ed25519);
  auto ca = create_ca("example.com", algorithm).value();
  temp_dir dir;
  auto file = dir.file("ca.pem", pem(ca.cert));
  auto r = run("openssl x509 -in " + file +
               " -pubkey -noout | openssl pkey -pubin -outform der | sha256sum");
  REQUIRE(r.status == 0);
  auto expected = "sha256:" + r.out.substr(0, 64);
  CHECK(ca_pin(ca.cert) == expected);
  CHECK(ca_pin(x509_certificate{}).empty());
  // The pin follows the key, not the certificate: a re-issued CA cert keeps it.
  CHECK(ca_pin(create_ca("example.com", algorithm).value().cert) != expected);
}

TEST_CASE("normalize_ca_pin accepts pins and rejects anything else", "[x509]") {
  std::string hex64(64, 'a');
  CHECK(normalize_ca_pin("sha256:" + hex64).value() == "sha256:" + hex64);
  CHECK(normalize_ca_pin("sha256:" + std::string(64, 'A')).value() == "sha256:" + hex64);
  for (std::string bad : std::vector<std::string>{"", "sha256:", "sha256:" + std::string(63, 'a'),
                                                  "sha256:" + std::string(65, 'a'), "sha1:" + hex64,
                                                  "sha256:" + std::string(63, 'a') + "g", hex64}) {
    auto r = normalize_ca_pin(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains("invalid CA pin"));
  }
}

TEST_CASE("credentials_from_pem pairs a certificate with its key", "[x509]") {
  auto ca = create_ca("example.com").value();
  auto cert_pem = ca.cert.to_pem().value();
  CHECK(credentials_from_pem(cert_pem, ca.key.to_pem().value()).ok());
  auto wrong =
      credentials_from_pem(cert_pem, x509_private_key::generate().value().to_pem().value());
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.message(), Catch::Contains("does not belong"));
}
