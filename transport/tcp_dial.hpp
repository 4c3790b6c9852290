// Outbound TCP connections of a leaf cluster (the trust exchange on the root's
// web port, the reverse tunnel on its tunnel port): a connect bounded in time,
// optionally through an HTTP proxy's CONNECT method.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "messages/result.hpp"
#include "transport/ssh_reactor_fd.hpp"

namespace tp::transport {

// An HTTP proxy that tunnels with CONNECT (settings: config/http_proxy.hpp).
struct connect_proxy {
  std::string host;
  std::uint16_t port = 0;
  std::string name() const;  // "http://host:port"
};

// Waits for `events` (POLLIN/POLLOUT) on fd until the deadline: "timed out <what>".
status wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline,
                const std::string& what);
// Sends everything (waiting for room while the socket is full) before the deadline.
status send_all(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline);

// A connected, blocking TCP socket to host:port, directly or through `via` (the
// proxy answered 2xx to CONNECT). Errors: "cannot connect to h:p: ...", "the HTTP
// proxy at ... refused CONNECT h:p: HTTP 403 ...".
result<unique_fd> dial_tcp(const std::string& host, std::uint16_t port,
                           std::chrono::milliseconds timeout,
                           const std::optional<connect_proxy>& via = std::nullopt);

}  // namespace tp::transport
