// What host key an SSH server presents, certificate included. libssh cannot negotiate
// host certificates (DESIGN.md section 7), so the recording proxy learns a node's host
// key by starting a key exchange of its own that offers the certificate algorithms
// first: the server's KEX reply carries its host key (a certificate when it has one).
// The probe stops there; the real connection (OpenSSH's ssh) is then pinned to the key
// found, so it proves the server holds that key's private half.
//
// Also: the recording proxy's rule for which presented keys it accepts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "transport/ssh_key.hpp"

namespace tp::transport {

// The host key algorithms the probe offers, certificates first.
extern const char* const k_probe_host_key_algorithms;

// Connects to host:port, exchanges versions and KEXINITs and one curve25519 key
// exchange message, and returns the host key blob of the server's reply. Blocking,
// bounded by `timeout` overall: run it off the reactor threads.
result<std::string> probe_host_key(const std::string& host, std::uint16_t port,
                                   std::chrono::milliseconds timeout);

// ---- the pieces, for tests ----

// An unencrypted SSH binary packet (RFC 4253 section 6) around `payload`.
std::string ssh_plain_packet(std::string_view payload);
// Our KEXINIT payload (16-byte cookie given).
std::string probe_kexinit(std::string_view cookie);
// Splits unencrypted packets off a byte stream.
class plain_packet_reader {
 public:
  void feed(std::string_view bytes) { buf_.append(bytes); }
  // The next payload; nullopt when more bytes are needed; an error on a malformed
  // or oversized packet.
  result<std::optional<std::string>> next();

 private:
  std::string buf_;
};
// The host key blob of an SSH_MSG_KEX_ECDH_REPLY payload.
result<std::string> host_key_of_kex_reply(std::string_view payload);

// The recording proxy's check of a node's presented key.
struct host_key_policy {
  // Host CA public key blobs whose certificates are accepted.
  std::vector<std::string> host_ca_blobs;
  // The name the certificate must list (the name or address the user asked for).
  std::string principal;
  // A registered node's certified key (our nodes present it without the certificate).
  std::optional<std::string> pinned_key_blob;
};
inline constexpr std::string_view k_expected_host_certificate =
    "ssh: handshake failed: remote host presented a public key, expected a host certificate";
// The plain key the connection must then see, or an error whose message is for the
// user (k_expected_host_certificate for a plain key or another CA's certificate).
result<public_key> check_presented_host_key(std::string_view presented_blob,
                                            const host_key_policy& policy,
                                            std::optional<std::uint64_t> now = std::nullopt);

}  // namespace tp::transport
