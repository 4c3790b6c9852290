// Control-plane clients for the proxy's request handlers: each call borrows a
// connected client (connecting when none is idle), so concurrent web logins do
// not queue behind one connection. A client that failed is dropped, with the idle
// ones (they likely went to the same auth server), and the call is made once more on
// a fresh connection, which fails over to another auth server.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "actors/client/auth_servers.hpp"
#include "actors/identity/live_identity.hpp"
#include "config/address.hpp"

namespace tp::actors {

class auth_pool {
 public:
  // New connections use the identity as it is then (it changes in a CA rotation).
  auth_pool(auth_servers_ptr auths, live_identity_ptr id, std::size_t max_idle = 4)
      : auths_(std::move(auths)), id_(std::move(id)), max_idle_(max_idle) {}

  tp::result<messages::api_reply> call(messages::api_request request);

  template <class Request>
  tp::result<messages::reply_of_t<Request>> call_as(Request request) {
    auto reply = call(messages::api_request{std::move(request)});
    if (!reply) return reply.err();
    if (auto* x = std::get_if<messages::reply_of_t<Request>>(&*reply)) return std::move(*x);
    return tp::make_error("the auth server sent an unexpected reply");
  }

 private:
  auth_servers_ptr auths_;
  live_identity_ptr id_;
  std::size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<auth_client>> idle_;
};

}  // namespace tp::actors
