// A synchronous client of the auth API over the control plane (tctl, nodes
// and proxies): one request at a time, replies paired by id. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/identity/identity_file.hpp"
#include "messages/auth_api.hpp"
#include "messages/result.hpp"
#include "transport/tls_client.hpp"

namespace tp::actors {

inline constexpr std::chrono::seconds default_call_timeout{30};

class auth_client {
 public:
  // Authenticated: presents `id`'s certificate, trusts only its cluster CA.
  static tp::result<std::unique_ptr<auth_client>> connect(const std::string& host,
                                                          std::uint16_t port, const identity& id);
  // Unauthenticated (joining): trusts the server by pin, or insecurely.
  static tp::result<std::unique_ptr<auth_client>> connect(const std::string& host,
                                                          std::uint16_t port,
                                                          transport::server_trust trust);

  // The reply, or an api_error turned into an error ("access denied: ...").
  tp::result<messages::api_reply> call(messages::api_request request,
                                       std::chrono::milliseconds timeout = default_call_timeout);

  template <class Request>
  tp::result<messages::reply_of_t<Request>> call_as(
      Request request, std::chrono::milliseconds timeout = default_call_timeout) {
    auto reply = call(messages::api_request{std::move(request)}, timeout);
    if (!reply) return reply.err();
    if (auto* x = std::get_if<messages::reply_of_t<Request>>(&*reply)) return std::move(*x);
    return tp::make_error("the auth server sent an unexpected reply");
  }

  const std::string& server_ca_pin() const { return client_->server_ca_pin(); }
  // False once the connection failed (a refused request leaves it open).
  bool is_open() const { return client_->is_open(); }

 private:
  explicit auth_client(std::unique_ptr<transport::tls_client> c) : client_(std::move(c)) {}
  std::unique_ptr<transport::tls_client> client_;
  std::uint64_t next_id_ = 1;
};

}  // namespace tp::actors
