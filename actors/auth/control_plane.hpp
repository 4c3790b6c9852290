// The control plane's listener (port 3025): mutual TLS, one connection actor
// per client. The connection actor stamps each request with the caller taken
// from the client's verified certificate (none: unauthenticated) and forwards
// it to the auth_server actor, then frames the reply.
#pragma once

#include <memory>

#include "messages/result.hpp"
#include "transport/tls_server.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors::auth {

// Requests one connection may have waiting for replies; a client that sends
// more without reading is disconnected.
inline constexpr std::size_t max_requests_in_flight = 64;

class control_plane {
 public:
  static tp::result<std::unique_ptr<control_plane>> start(caf::actor_system& sys,
                                                          const caf::actor& auth_server,
                                                          transport::tls_server_config config);
  ~control_plane();
  std::uint16_t port() const;
  // New connections get these credentials and trusted CAs (CA rotation).
  tp::status reload(const transport::tls_credentials& credentials,
                    const transport::x509_certificate& ca,
                    const std::vector<transport::x509_certificate>& also_trusted);
  void stop();

  struct connections;

 private:
  control_plane() = default;
  std::shared_ptr<connections> conns_;
  std::unique_ptr<transport::tls_server> server_;
};

}  // namespace tp::actors::auth
