// X.509 certificates: parsing, encoding, CA pins and chain verification.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "transport/x509_key.hpp"

typedef struct x509_st X509;

namespace tp::transport {

using sys_time = std::chrono::system_clock::time_point;

// An immutable, cheaply copyable certificate. Default-constructed = empty.
class x509_certificate {
 public:
  x509_certificate() = default;
  // Takes ownership of `cert` (may be null).
  explicit x509_certificate(X509* cert);

  // The first certificate of a PEM text.
  static result<x509_certificate> from_pem(std::string_view pem);
  // Every certificate of a PEM text (at least one, at most 16).
  static result<std::vector<x509_certificate>> chain_from_pem(std::string_view pem);
  static result<x509_certificate> from_der(std::string_view der);
  result<std::string> to_pem() const;
  result<std::string> to_der() const;

  std::string subject_common_name() const;  // "" when absent or not exactly one
  std::string issuer_common_name() const;   // "" when absent or not exactly one
  sys_time not_before() const;
  sys_time not_after() const;
  bool is_ca() const;           // basicConstraints CA:TRUE
  bool is_self_signed() const;  // issuer == subject and the signature verifies with its own key
  x509_public_key key() const;

  bool empty() const noexcept { return cert_ == nullptr; }
  X509* native() const noexcept { return cert_.get(); }
  bool operator==(const x509_certificate& other) const;  // same DER

 private:
  std::shared_ptr<X509> cert_;
};

// A certificate with its private key.
struct tls_credentials {
  x509_certificate cert;
  x509_private_key key;
};

// Parses PEM cert + key and checks that they belong together.
result<tls_credentials> credentials_from_pem(std::string_view cert_pem, std::string_view key_pem);
status check_key_matches(const x509_certificate& cert, const x509_private_key& key);

// "sha256:" + lowercase hex SHA-256 of the DER SubjectPublicKeyInfo, the value
// `tctl status` prints and `--ca-pin` takes. Empty only for an empty certificate.
std::string ca_pin(const x509_certificate& ca);

// Validates a user-supplied pin ("sha256:" + 64 hex digits) and lowercases it.
result<std::string> normalize_ca_pin(std::string_view pin);

enum class x509_purpose { any, tls_server, tls_client };

// Verifies that `leaf` chains to the trust anchor `ca` (optionally via
// `intermediates`) at time `at`, and fits `purpose` (extended key usage).
status verify_x509_chain(const x509_certificate& leaf, const x509_certificate& ca,
                         x509_purpose purpose, sys_time at = std::chrono::system_clock::now(),
                         std::span<const x509_certificate> intermediates = {});

}  // namespace tp::transport
