// SSH public keys and key pairs (ed25519, ECDSA P-256/384/521, RSA) on top of OpenSSL 3:
// the wire blob, authorized_keys lines, SHA256 fingerprints and SSH signatures.
//
// Keys are immutable and cheap to copy (the OpenSSL object is shared); they may be used
// from several threads at once.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "messages/result.hpp"
#include "transport/ssh_wire.hpp"

namespace tp::transport {

enum class key_type { ed25519, ecdsa_p256, ecdsa_p384, ecdsa_p521, rsa };

// "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa".
std::string_view key_type_name(key_type t);
// "ssh-ed25519-cert-v01@openssh.com", ...
std::string_view cert_type_name(key_type t);
std::optional<key_type> key_type_from_name(std::string_view name);
std::optional<key_type> key_type_from_cert_name(std::string_view name);
// True for any "*-cert-v01@openssh.com" name, including types we do not support.
bool is_cert_type_name(std::string_view name);
// Parses "ed25519", "ecdsa" (= P-256), "ecdsa-p384", "ecdsa-p521", "rsa", or any key type
// name above; for configuration and command lines.
std::optional<key_type> key_type_from_string(std::string_view s);

// RSA keys outside these bounds are refused when parsed or generated.
inline constexpr unsigned k_rsa_min_bits = 2048;
inline constexpr unsigned k_rsa_max_bits = 16384;
inline constexpr unsigned k_rsa_default_bits = 3072;

class public_key {
 public:
  public_key() = default;  // empty: holds no key; verify() fails on it

  // The SSH wire form: string type name, then the type's fields. Certificates are refused.
  static result<public_key> from_blob(std::string_view blob);
  // "ssh-ed25519 AAAA... comment" (one line of a .pub or authorized_keys file, without
  // options). `comment`, when given, receives the comment (may be empty).
  static result<public_key> from_authorized_key(std::string_view line,
                                                std::string* comment = nullptr);
  // Reads the fields that follow the type name (shared by plain keys and certificates).
  static result<public_key> read_fields(key_type t, wire_reader& r);
  // Takes ownership of an OpenSSL key (public or private half; only the public is kept).
  static result<public_key> from_evp(EVP_PKEY* adopted);

  bool empty() const { return !pkey_; }
  key_type type() const { return type_; }
  // The canonical SSH wire blob.
  const std::string& blob() const { return blob_; }
  // Writes the fields after the type name (the certificate body carries exactly these).
  void write_fields(wire_writer& w) const;
  // "ssh-ed25519 AAAA...[ comment]" without a line break.
  std::string authorized_key(std::string_view comment = {}) const;
  // "SHA256:<base64 without padding>", as `ssh-keygen -l` prints it.
  std::string fingerprint() const;
  // Checks an SSH signature blob (string algorithm, string bytes) over `data`. Accepts
  // "ssh-ed25519", the ECDSA name of this key's curve, and for RSA "rsa-sha2-512" and
  // "rsa-sha2-256"; SHA-1 "ssh-rsa" signatures are refused.
  status verify(std::string_view data, std::string_view signature) const;
  // Bits of the key (255 for ed25519, curve size for ECDSA, modulus size for RSA).
  unsigned bits() const;

  EVP_PKEY* native() const { return pkey_.get(); }

  friend bool operator==(const public_key& a, const public_key& b) { return a.blob_ == b.blob_; }

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
  key_type type_ = key_type::ed25519;
  std::string blob_;
};

class key_pair {
 public:
  // ECDSA curves come from the type; rsa_bits is used for RSA only.
  static result<key_pair> generate(key_type t = key_type::ed25519,
                                   unsigned rsa_bits = k_rsa_default_bits);
  // Takes ownership of an OpenSSL private key; fails if it has no private half or is of a
  // type SSH does not use here.
  static result<key_pair> from_evp(EVP_PKEY* adopted);

  key_type type() const { return pub_.type(); }
  const public_key& pub() const { return pub_; }
  // An SSH signature blob over `data`: "ssh-ed25519", "ecdsa-sha2-nistpN" (SHA-256/384/512
  // by curve) or "rsa-sha2-512".
  result<std::string> sign(std::string_view data) const;

  EVP_PKEY* native() const { return pkey_.get(); }

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
  public_key pub_;
};

// The algorithm name at the start of an SSH signature blob, or an error if malformed.
result<std::string> signature_algorithm(std::string_view signature);

}  // namespace tp::transport
