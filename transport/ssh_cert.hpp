// OpenSSH certificates (the "*-cert-v01@openssh.com" key types): issuing, parsing and
// verifying user and host certificates. libssh can neither create nor check them, so the
// auth service signs with sign_certificate() and the node service checks what a client
// presented with parse_certificate() + verify_certificate().
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "transport/ssh_key.hpp"

namespace tp::transport {

enum class cert_type : std::uint32_t { user = 1, host = 2 };

std::string_view cert_type_label(cert_type t);  // "user" / "host"

// valid_before meaning "never expires".
inline constexpr std::uint64_t k_cert_forever = std::numeric_limits<std::uint64_t>::max();

// Option and extension values are the decoded strings; flags have an empty value.
using cert_options = std::map<std::string, std::string>;

struct ssh_certificate {
  key_type type = key_type::ed25519;  // of the certified key
  std::string nonce;
  public_key key;  // the certified key
  std::uint64_t serial = 0;
  cert_type kind = cert_type::user;
  std::string key_id;
  std::vector<std::string> principals;
  std::uint64_t valid_after = 0;                // seconds since the epoch, inclusive
  std::uint64_t valid_before = k_cert_forever;  // exclusive
  cert_options critical_options;
  cert_options extensions;
  public_key signature_key;  // the CA key
  std::string signature;     // SSH signature blob

  // The exact bytes this was parsed from; verification checks the signature over these,
  // so do not edit the fields above and expect verify_certificate() to see the edits.
  std::string blob;
  std::size_t signed_size = 0;  // bytes of `blob` covered by the signature

  // "ssh-ed25519-cert-v01@openssh.com AAAA...[ comment]"
  std::string authorized_key(std::string_view comment = {}) const;
};

// The extensions `ssh-keygen -s` gives a user certificate by default.
cert_options default_user_extensions();

struct cert_template {
  public_key key;  // the key to certify
  cert_type kind = cert_type::user;
  std::uint64_t serial = 0;
  std::string key_id;
  std::vector<std::string> principals;  // at least one
  std::uint64_t valid_after = 0;
  std::uint64_t valid_before = k_cert_forever;
  cert_options critical_options;  // e.g. "force-command", "source-address"
  // Unset: default_user_extensions() for user certificates, none for host certificates.
  std::optional<cert_options> extensions;
};

// Encodes and signs a certificate with the CA key (RSA CAs sign with rsa-sha2-512) and
// a fresh 32-byte nonce; returns the certificate blob. Refuses templates OpenSSH would
// reject or misread: no principals, names with NUL bytes, empty validity interval, a
// malformed source-address.
result<std::string> sign_certificate(const cert_template& tmpl, const key_pair& ca);

// "<cert type> <base64>[ comment]" for a certificate blob (what goes into an
// "id_ed25519-cert.pub" file); fails if the blob does not start with a certificate type.
result<std::string> certificate_line(std::string_view blob, std::string_view comment = {});

// Parses a certificate blob (structure only: the signature is checked by
// verify_certificate). Refuses unknown key types, a CA key that is itself a certificate,
// unsorted or duplicate options/extensions, malformed values and trailing bytes.
result<ssh_certificate> parse_certificate(std::string_view blob);
// The same from a "<cert type> <base64> [comment]" line (a "*-cert.pub" file). For the
// bare base64 that libssh's ssh_pki_export_pubkey_base64 returns, use base64_decode()
// then parse_certificate().
result<ssh_certificate> parse_certificate_line(std::string_view line);

struct verify_options {
  // CA public key blobs to trust; a certificate is accepted only if its signature key
  // equals one of them byte for byte.
  std::vector<std::string> trusted_ca_blobs;
  cert_type expected_kind = cert_type::user;
  // The login (user certificates) or host name (host certificates) the certificate must
  // list. Unset: not checked (the caller then must check principals itself). A
  // certificate without principals is always refused: OpenSSH would read it as a wildcard.
  std::optional<std::string> principal;
  // Seconds since the epoch; unset means the current time.
  std::optional<std::uint64_t> now;
  // Tolerated amount by which our clock may lag the issuer's: a certificate becomes valid
  // this much earlier. Expiry is never extended.
  std::chrono::seconds clock_skew{0};
  // The client's IP address (v4 or v6, no port), checked against "source-address". If
  // the certificate restricts the source and this is unset, the certificate is refused.
  std::optional<std::string> client_address;
};

// Checks, in this order: the CA is trusted, the signature verifies with it (and its
// algorithm fits the CA key), the kind, the validity interval, the principal, the
// critical options (only force-command and source-address are known, for user
// certificates; host certificates have none), and source-address. The error says which
// check failed in words a user can act on. force-command is accepted here: the caller
// must enforce it (cert.critical_options.at("force-command")).
status verify_certificate(const ssh_certificate& cert, const verify_options& opts);

// Checks a "source-address" value (comma-separated addresses or CIDR blocks, v4 or v6)
// against an address. Errors on a malformed list or address.
result<bool> source_address_matches(std::string_view list, std::string_view address);

// "2024-05-01T12:00:00Z", or "forever" for k_cert_forever.
std::string format_cert_time(std::uint64_t t);

}  // namespace tp::transport
