// Public and private keys for the control plane's X.509 PKI (OpenSSL EVP keys).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "messages/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace tp::transport {

enum class x509_key_algorithm {
  ecdsa_p256,  // the default: every TLS stack and `openssl verify` handle it
  ed25519,
};

// An immutable, cheaply copyable public key. Default-constructed = empty.
class x509_public_key {
 public:
  x509_public_key() = default;
  // Takes ownership of `key` (may be null).
  explicit x509_public_key(EVP_PKEY* key);

  // SubjectPublicKeyInfo, PEM ("PUBLIC KEY") or DER.
  static result<x509_public_key> from_pem(std::string_view pem);
  static result<x509_public_key> from_der(std::string_view der);
  result<std::string> to_pem() const;
  result<std::string> to_der() const;

  bool empty() const noexcept { return key_ == nullptr; }
  EVP_PKEY* native() const noexcept { return key_.get(); }
  bool operator==(const x509_public_key& other) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

// An immutable, cheaply copyable private key. Default-constructed = empty.
class x509_private_key {
 public:
  x509_private_key() = default;
  // Takes ownership of `key` (may be null).
  explicit x509_private_key(EVP_PKEY* key);

  static result<x509_private_key> generate(
      x509_key_algorithm algorithm = x509_key_algorithm::ecdsa_p256);
  // Unencrypted PEM: PKCS#8 ("PRIVATE KEY") or the traditional EC/RSA forms.
  // Encrypted keys are refused (no passphrase prompt ever happens).
  static result<x509_private_key> from_pem(std::string_view pem);
  // Unencrypted PKCS#8 PEM.
  result<std::string> to_pem() const;

  x509_public_key public_part() const;
  bool empty() const noexcept { return key_ == nullptr; }
  EVP_PKEY* native() const noexcept { return key_.get(); }

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace tp::transport
