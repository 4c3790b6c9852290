#include "transport/x509_key.hpp"

#include <openssl/ec.h>
#include <openssl/pem.h>

#include <climits>

#include "transport/x509_openssl.hpp"

namespace tp::transport {
namespace {

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, [](EVP_PKEY* k) { EVP_PKEY_free(k); });
}

// Refuses to prompt on a terminal for the passphrase of an encrypted key.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

// Only the key types this code base creates or that TLS peers commonly use.
status check_key_type(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
    case EVP_PKEY_ED25519:
      return {};
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < 2048)
        return make_error("RSA keys shorter than 2048 bits are refused");
      return {};
    default:
      return make_error("unsupported key type (expected ECDSA, Ed25519 or RSA)");
  }
}

}  // namespace

x509_public_key::x509_public_key(EVP_PKEY* key) : key_(key ? share(key) : nullptr) {}

result<x509_public_key> x509_public_key::from_pem(std::string_view pem) {
  ossl::drain_errors();
  auto bio = ossl::memory_bio(pem);
  if (!bio) return make_error("public key PEM is too large");
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr);
  if (key == nullptr) return ossl::openssl_error("cannot parse the public key PEM");
  x509_public_key out(key);
  if (auto st = check_key_type(key); !st) return st.err();
  return out;
}

result<x509_public_key> x509_public_key::from_der(std::string_view der) {
  ossl::drain_errors();
  if (der.size() > static_cast<std::size_t>(LONG_MAX))
    return make_error("public key DER is too large");
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (key == nullptr) return ossl::openssl_error("cannot parse the public key DER");
  x509_public_key out(key);
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return make_error("trailing bytes after the public key DER");
  if (auto st = check_key_type(key); !st) return st.err();
  return out;
}

result<std::string> x509_public_key::to_pem() const {
  if (empty()) return make_error("empty public key");
  ossl::bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), native()) != 1)
    return ossl::openssl_error("cannot encode the public key as PEM");
  return ossl::bio_contents(bio.get());
}

result<std::string> x509_public_key::to_der() const {
  if (empty()) return make_error("empty public key");
  int len = i2d_PUBKEY(native(), nullptr);
  if (len <= 0) return ossl::openssl_error("cannot encode the public key as DER");
  std::string out(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_PUBKEY(native(), &p) != len)
    return ossl::openssl_error("cannot encode the public key as DER");
  return out;
}

bool x509_public_key::operator==(const x509_public_key& other) const {
  if (empty() || other.empty()) return empty() == other.empty();
  return EVP_PKEY_eq(native(), other.native()) == 1;
}

x509_private_key::x509_private_key(EVP_PKEY* key) : key_(key ? share(key) : nullptr) {}

result<x509_private_key> x509_private_key::generate(x509_key_algorithm algorithm) {
  ossl::drain_errors();
  EVP_PKEY* key = nullptr;
  switch (algorithm) {
    case x509_key_algorithm::ecdsa_p256:
      key = EVP_EC_gen("P-256");
      break;
    case x509_key_algorithm::ed25519:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (key == nullptr) return ossl::openssl_error("cannot generate a private key");
  return x509_private_key(key);
}

result<x509_private_key> x509_private_key::from_pem(std::string_view pem) {
  ossl::drain_errors();
  auto bio = ossl::memory_bio(pem);
  if (!bio) return make_error("private key PEM is too large");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (key == nullptr)
    return ossl::openssl_error(
        "cannot parse the private key PEM (encrypted keys are not supported)");
  x509_private_key out(key);
  if (auto st = check_key_type(key); !st) return st.err();
  return out;
}

result<std::string> x509_private_key::to_pem() const {
  if (empty()) return make_error("empty private key");
  ossl::bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), native(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1)
    return ossl::openssl_error("cannot encode the private key as PEM");
  return ossl::bio_contents(bio.get());
}

x509_public_key x509_private_key::public_part() const {
  if (empty()) return {};
  // Round-trip through DER: the result holds no private material.
  int len = i2d_PUBKEY(native(), nullptr);
  assert(len > 0);
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(native(), &p);
  auto pub = x509_public_key::from_der(der);
  assert(pub.ok());
  return std::move(pub).value();
}

}  // namespace tp::transport
