#include "transport/ssh_key.hpp"

#include <openssl/evp.h>
#include <catch2/catch.hpp>

#include "openssh_tools.hpp"
#include "transport/ssh_wire.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

const key_type k_all_types[] = {key_type::ed25519, key_type::ecdsa_p256, key_type::ecdsa_p384,
                                key_type::ecdsa_p521, key_type::rsa};

key_pair gen(key_type t) {
  // 2048-bit RSA keeps the suite fast; the default size is covered separately.
  auto k = key_pair::generate(t, t == key_type::rsa ? 2048 : k_rsa_default_bits);
  REQUIRE(k.ok());
  return *k;
}

std::string replace_alg(const std::string& sig, const std::string& alg) {
  wire_reader r(sig);
  (void)r.string("alg");
  auto body = r.string("body");
  wire_writer w;
  w.string(alg);
  w.string(*body);
  return std::move(w).take();
}

}  // namespace

TEST_CASE("key type names", "[ssh_key]") {
  CHECK(key_type_name(key_type::ecdsa_p384) == "ecdsa-sha2-nistp384");
  CHECK(cert_type_name(key_type::rsa) == "ssh-rsa-cert-v01@openssh.com");
  CHECK(key_type_from_name("ssh-ed25519") == key_type::ed25519);
  CHECK_FALSE(key_type_from_name("ssh-dss"));
  CHECK(key_type_from_cert_name("ecdsa-sha2-nistp521-cert-v01@openssh.com") ==
        key_type::ecdsa_p521);
  CHECK(is_cert_type_name("ssh-dss-cert-v01@openssh.com"));
  CHECK_FALSE(is_cert_type_name("ssh-ed25519"));
  CHECK(key_type_from_string("ecdsa") == key_type::ecdsa_p256);
  CHECK(key_type_from_string("rsa") == key_type::rsa);
  CHECK_FALSE(key_type_from_string("dsa"));
}

TEST_CASE("generated keys round-trip through blob and authorized_keys line", "[ssh_key]") {
  for (key_type t : k_all_types) {
    INFO(key_type_name(t));
    key_pair k = gen(t);
    CHECK(k.type() == t);
    auto from_blob = public_key::from_blob(k.pub().blob());
    REQUIRE(from_blob.ok());
    CHECK(*from_blob == k.pub());

    const std::string line = k.pub().authorized_key("alice@laptop");
    CHECK(line.rfind(std::string(key_type_name(t)) + " AAAA", 0) == 0);
    std::string comment;
    auto parsed = public_key::from_authorized_key(line + "\r\n", &comment);
    REQUIRE(parsed.ok());
    CHECK(*parsed == k.pub());
    CHECK(comment == "alice@laptop");
  }
}

TEST_CASE("default key sizes", "[ssh_key]") {
  auto ed = key_pair::generate();
  REQUIRE(ed.ok());
  CHECK(ed->type() == key_type::ed25519);
  auto rsa = key_pair::generate(key_type::rsa);
  REQUIRE(rsa.ok());
  CHECK(rsa->pub().bits() == 3072);
  CHECK(key_pair::generate(key_type::ecdsa_p521)->pub().bits() == 521);
  CHECK_FALSE(key_pair::generate(key_type::rsa, 1024).ok());
}

TEST_CASE("fingerprints and public key lines match ssh-keygen", "[ssh_key][openssh]") {
  temp_dir dir;
  for (key_type t : k_all_types) {
    INFO(key_type_name(t));
    key_pair k = gen(t);
    const std::string pub = dir.file("k.pub");
    write_text(pub, k.pub().authorized_key("c") + "\n");
    auto out = run("ssh-keygen -l -E sha256 -f " + quote(pub));
    REQUIRE(out.exit_code == 0);
    CHECK(out.output.find(k.pub().fingerprint()) != std::string::npos);
    CHECK(k.pub().fingerprint().rfind("SHA256:", 0) == 0);
    CHECK(k.pub().fingerprint().find('=') == std::string::npos);
  }
}

TEST_CASE("signatures verify and tampering is caught", "[ssh_key]") {
  const std::string data = "data to sign";
  for (key_type t : k_all_types) {
    INFO(key_type_name(t));
    key_pair k = gen(t);
    auto sig = k.sign(data);
    REQUIRE(sig.ok());
    const std::string expected_alg =
        t == key_type::rsa ? "rsa-sha2-512" : std::string(key_type_name(t));
    CHECK(*signature_algorithm(*sig) == expected_alg);
    CHECK(k.pub().verify(data, *sig).ok());
    CHECK_FALSE(k.pub().verify("other data", *sig).ok());

    std::string bad = *sig;
    bad[bad.size() - 3] ^= 0x01;
    CHECK_FALSE(k.pub().verify(data, bad).ok());
    CHECK_FALSE(k.pub().verify(data, *sig + "x").ok());  // trailing bytes
    CHECK_FALSE(k.pub().verify(data, sig->substr(0, sig->size() - 1)).ok());

    // Another key of the same type does not verify it.
    CHECK_FALSE(gen(t).pub().verify(data, *sig).ok());
  }
}

TEST_CASE("signature algorithm must fit the key", "[ssh_key]") {
  key_pair ed = gen(key_type::ed25519);
  key_pair ec = gen(key_type::ecdsa_p256);
  key_pair rsa = gen(key_type::rsa);
  auto ed_sig = ed.sign("x");
  auto ec_sig = ec.sign("x");
  auto rsa_sig = rsa.sign("x");
  auto r = ec.pub().verify("x", replace_alg(*ec_sig, "ecdsa-sha2-nistp384"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.message().find("cannot come from a ecdsa-sha2-nistp256 key") != std::string::npos);
  CHECK_FALSE(ed.pub().verify("x", replace_alg(*ed_sig, "ssh-rsa")).ok());
  CHECK_FALSE(rsa.pub().verify("x", replace_alg(*rsa_sig, "rsa-sha2-256")).ok());  // wrong hash
  auto sha1 = rsa.pub().verify("x", replace_alg(*rsa_sig, "ssh-rsa"));
  REQUIRE_FALSE(sha1.ok());
  CHECK(sha1.message().find("SHA-1") != std::string::npos);
  CHECK_FALSE(public_key{}.verify("x", *ed_sig).ok());
}

TEST_CASE("rsa-sha2-256 signatures are verified", "[ssh_key]") {
  key_pair rsa = gen(key_type::rsa);
  const std::string data = "payload";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, rsa.native()) == 1);
  REQUIRE(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                         data.size()) == 1);
  std::string raw(len, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(raw.data()), &len,
                         reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
  EVP_MD_CTX_free(ctx);
  wire_writer w;
  w.string("rsa-sha2-256");
  w.string(raw);
  CHECK(rsa.pub().verify(data, w.data()).ok());
  CHECK_FALSE(rsa.pub().verify("other", w.data()).ok());
}

TEST_CASE("malformed public keys are refused with a reason", "[ssh_key]") {
  key_pair ed = gen(key_type::ed25519);
  key_pair ec = gen(key_type::ecdsa_p256);
  CHECK(public_key::from_blob("").message().find("truncated") != std::string::npos);
  CHECK_FALSE(public_key::from_blob(ed.pub().blob() + "x").ok());
  CHECK_FALSE(public_key::from_blob(ed.pub().blob().substr(0, 40)).ok());

  wire_writer dss;
  dss.string("ssh-dss");
  CHECK(public_key::from_blob(dss.data()).message().find("unsupported key type") !=
        std::string::npos);

  // ECDSA point not on the curve.
  std::string off_curve = ec.pub().blob();
  off_curve[off_curve.size() - 1] ^= 0x01;
  CHECK_FALSE(public_key::from_blob(off_curve).ok());
  // Curve name that does not match the type.
  wire_writer wrong_curve;
  wrong_curve.string("ecdsa-sha2-nistp256");
  wrong_curve.string("nistp384");
  wrong_curve.string(std::string(65, '\x04'));
  CHECK(public_key::from_blob(wrong_curve.data()).message().find("does not match") !=
        std::string::npos);

  // Small RSA keys.
  wire_writer small;
  small.string("ssh-rsa");
  small.mpint("\x01\x00\x01");
  small.mpint(std::string(128, '\xc3'));
  CHECK(public_key::from_blob(small.data()).message().find("1024 bits is refused") !=
        std::string::npos);

  CHECK_FALSE(public_key::from_authorized_key("").ok());
  CHECK_FALSE(public_key::from_authorized_key("ssh-ed25519").ok());
  CHECK_FALSE(public_key::from_authorized_key("ssh-ed25519 !!!!").ok());
  CHECK_FALSE(public_key::from_authorized_key("no-pty ssh-ed25519 AAAA").ok());
  // Type in the line differs from the blob's.
  const std::string b64 = ed.pub().authorized_key().substr(12);
  CHECK(public_key::from_authorized_key("ssh-rsa " + b64).message().find("says") !=
        std::string::npos);
}
