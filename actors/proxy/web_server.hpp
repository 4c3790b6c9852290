// The proxy's web listener (port 3080): HTTPS (or plain HTTP behind a TLS
// terminating load balancer) with Boost.Beast on a few I/O threads. Requests
// are small JSON or page loads; their handling (which may wait for the auth
// service, e.g. a password check) runs on a separate worker pool so that slow
// handlers never stall the I/O threads. Asio stays out of this header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "messages/result.hpp"

namespace tp::actors {

struct web_request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string body;
  std::string remote;  // client IP
};

struct web_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using web_router = std::function<web_response(const web_request&)>;

struct web_server_options {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;
  // PEM certificate chain and key; unset: plain HTTP.
  std::optional<std::pair<std::string, std::string>> tls;
  std::size_t io_threads = 2;
  std::size_t worker_threads = 4;
  std::size_t max_body_bytes = 64 * 1024;
};

class web_server {
 public:
  static tp::result<std::unique_ptr<web_server>> start(web_server_options options,
                                                       web_router router);
  ~web_server();
  std::uint16_t port() const;
  void stop();

  struct impl;

 private:
  explicit web_server(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace tp::actors
