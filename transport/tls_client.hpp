// A synchronous control-plane client (tctl, node join): connect to the auth
// server over TLS, send frames, wait for frames. Not thread-safe: one thread
// uses one client. Asio stays out of this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "messages/result.hpp"
#include "transport/frame_codec.hpp"
#include "transport/tls_trust.hpp"
#include "transport/x509_cert.hpp"

namespace tp::transport {

struct tls_client_config {
  std::string host;  // name or IP of the auth server
  std::uint16_t port = 3025;
  // Our identity; absent for a joining client (it only may present a token).
  std::optional<tls_credentials> credentials;
  // How the server is trusted, see tls_trust.hpp: a cluster CA, or a CA pin, or
  // (allow_insecure) whatever CA the server presents: then the caller prints a
  // WARN with server_ca_pin().
  server_trust trust;
  std::chrono::milliseconds connect_timeout{10'000};  // name lookup + TCP + TLS handshake
  std::chrono::milliseconds send_timeout{30'000};
  std::size_t max_frame_payload = default_max_frame_payload;
};

class tls_client {
 public:
  // Connects and verifies the server. On a pin mismatch the error reads
  // "the auth server's CA pin sha256:... does not match the expected pin
  // sha256:..." and nothing was sent. Note: with TLS 1.3 the server checks our
  // certificate after this returns, so a rejected certificate surfaces as an
  // error from the first receive().
  static result<std::unique_ptr<tls_client>> connect(const tls_client_config& config);
  ~tls_client();
  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;

  // Sends one frame, waiting at most send_timeout for it to be written.
  status send(const frame& f);
  // The next message frame. An error frame from the server, the connection
  // ending, or bad framing close the client and return an error; a timeout
  // returns an error but keeps the connection usable.
  result<frame> receive(std::chrono::milliseconds timeout);
  void close();
  bool is_open() const;

  const peer_identity& server_identity() const;
  // The pin of the CA the server's certificate verified against.
  const std::string& server_ca_pin() const;

  struct impl;

 private:
  explicit tls_client(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace tp::transport
