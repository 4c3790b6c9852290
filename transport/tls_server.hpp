// The control plane's mutual-TLS server (auth, port 3025). Asio stays out of
// this header.
//
// Client certificates are requested but optional: a client without one
// (joining with a token) connects with no identity. A certificate that is
// presented but does not verify against the CA (another CA, expired, wrong
// key usage) or carries no valid identity is refused: on_reject, never
// on_connect.
//
// Threading: the server owns `io_threads` threads. All handlers of one
// connection run serialized on those threads, in the order on_connect,
// on_frame..., on_close; different connections run in parallel. Handlers must
// not block for long and must not call tls_server::stop().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "messages/result.hpp"
#include "transport/frame_codec.hpp"
#include "transport/x509_cert.hpp"
#include "transport/x509_identity.hpp"

namespace tp::transport {

struct tls_server_config {
  std::string bind_address = "127.0.0.1";      // an IP literal ("0.0.0.0", "::")
  std::uint16_t port = 0;                      // 0: any free port, see tls_server::port()
  tls_credentials credentials;                 // the auth server's certificate (role auth) + key
  x509_certificate ca;                         // verifies client certs; sent in the chain for pins
  std::vector<x509_certificate> also_trusted;  // more client-cert CAs (the other one in a rotation)
  std::size_t io_threads = 2;
  std::chrono::milliseconds handshake_timeout{10'000};
  // A connection that sends no complete frame (ping counts) for this long is
  // closed with an error frame.
  std::chrono::milliseconds idle_timeout{300'000};
  std::size_t max_connections = 1024;  // beyond it, new connections are closed at once
  std::size_t max_frame_payload = default_max_frame_payload;
  std::size_t max_send_queue_bytes = 64u << 20;  // per connection; exceeding closes it
};

class tls_connection {
 public:
  virtual ~tls_connection() = default;
  // Queues a frame for sending; thread-safe, never blocks. Errors when the
  // frame is too large, the connection is closed, or its send queue
  // overflowed (then the connection is closed too).
  virtual status send(frame f) = 0;
  // Thread-safe. Flushes queued frames, sends `reason` as an error frame when
  // not empty, then closes. on_close follows.
  virtual void close(std::string reason = {}) = 0;
  // Present only when the client's certificate verified against the CA.
  virtual const std::optional<peer_identity>& identity() const = 0;
  virtual const std::string& remote_address() const = 0;  // "ip:port"
  virtual std::uint64_t id() const = 0;                   // unique per server
};
using connection_ptr = std::shared_ptr<tls_connection>;

struct tls_server_handlers {
  std::function<void(const connection_ptr&, const std::optional<peer_identity>&)> on_connect;
  std::function<void(const connection_ptr&, frame)> on_frame;  // message frames only
  // Exactly once per connection that saw on_connect. `why` is ok for an
  // orderly close (peer hung up between frames, or close() without reason).
  std::function<void(const connection_ptr&, const status& why)> on_close;
  // Optional: a connection refused before on_connect (handshake failed or
  // timed out, bad client identity, connection limit).
  std::function<void(const std::string& remote_address, const error& why)> on_reject;
};

class tls_server {
 public:
  // Binds, listens and starts the io threads.
  static result<std::unique_ptr<tls_server>> start(tls_server_config config,
                                                   tls_server_handlers handlers);
  ~tls_server();  // stop()
  tls_server(const tls_server&) = delete;
  tls_server& operator=(const tls_server&) = delete;

  std::uint16_t port() const;
  std::size_t connection_count() const;
  // Serves new connections with other credentials and trusted CAs (a CA rotation);
  // open connections keep theirs. Nothing changes on error. Thread-safe.
  status reload(const tls_credentials& credentials, const x509_certificate& ca,
                const std::vector<x509_certificate>& also_trusted);
  // Closes the listener and every connection (on_close runs with an error),
  // then joins the io threads. Idempotent.
  void stop();

  struct impl;

 private:
  explicit tls_server(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace tp::transport
