// The cluster's TLS certificate authority: creates the self-signed CA and
// issues leaf certificates whose subject carries an identity (CN=name, O=role...).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "transport/x509_cert.hpp"
#include "transport/x509_key.hpp"

namespace tp::transport {

inline constexpr std::chrono::hours ca_validity{24 * 3653};  // ~10 years

// A new CA key and its self-signed certificate: CN=<cluster_name>,
// basicConstraints critical CA:TRUE, keyUsage critical
// keyCertSign+cRLSign, valid from now-1min for ca_validity.
result<tls_credentials> create_ca(std::string_view cluster_name,
                                  x509_key_algorithm algorithm = x509_key_algorithm::ecdsa_p256,
                                  sys_time now = std::chrono::system_clock::now());

struct leaf_request {
  std::string name;                // subject CN (validate_identity_name rules)
  std::vector<std::string> roles;  // subject O values; each a known_role, at least one
  std::vector<std::string> hosts;  // subjectAltName: IP literals become IP SANs, others DNS
  sys_time not_before;             // backdate a minute or so for clock skew
  sys_time not_after;              // must not exceed the CA's not_after
};

// Signs a leaf for `subject_key`: keyUsage digitalSignature, EKU serverAuth +
// clientAuth, CA:FALSE, random 127-bit serial. Refuses bad names, roles, hosts
// or validity windows with a message naming the problem.
result<x509_certificate> issue_certificate(const tls_credentials& ca,
                                           const x509_public_key& subject_key,
                                           const leaf_request& request);

// Same with a freshly generated key.
result<tls_credentials> issue_credentials(
    const tls_credentials& ca, const leaf_request& request,
    x509_key_algorithm algorithm = x509_key_algorithm::ecdsa_p256);

}  // namespace tp::transport
