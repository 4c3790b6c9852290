// A small synchronous HTTPS (or, when asked, plain HTTP) JSON client for the
// proxy's web API. The server certificate is verified against the system CA
// store (SSL_CERT_FILE / SSL_CERT_DIR override it, as everywhere in OpenSSL)
// with a host name or IP check, unless `insecure`. Boost.Beast stays out of this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "messages/result.hpp"
#include "transport/tcp_dial.hpp"

namespace tp::transport {

struct web_endpoint {
  std::string host;
  std::uint16_t port = 3080;
  bool tls = true;
  bool insecure = false;                      // accept any certificate (self-signed test proxies)
  std::chrono::milliseconds timeout{15'000};  // per step: resolve, connect, handshake, I/O
  std::string user_agent = "teleport";
  std::optional<connect_proxy> via;  // reach the server through this HTTP CONNECT proxy

  std::string to_string() const;  // "host:port" (IPv6 in brackets)
};

struct web_response {
  unsigned status = 0;
  std::string body;
};

// One request with "Connection: close". Errors are about reaching the server:
//   "cannot reach the proxy at X: ..."
//   "the proxy's TLS certificate is not trusted (use --insecure for a self-signed test proxy): ..."
// An HTTP error status is not an error here; see get_json/post_json.
result<web_response> web_request(const web_endpoint& ep, std::string_view method,
                                 std::string_view target, std::string_view json_body = {});

// The response body as JSON for a 2xx status. Other statuses become errors carrying the
// server's {"error": {"message": ...}}: 401/403 as "access denied: <message>".
result<nlohmann::json> get_json(const web_endpoint& ep, std::string_view target);
result<nlohmann::json> post_json(const web_endpoint& ep, std::string_view target,
                                 const nlohmann::json& body);

// The message of an error body, or "" when it has none.
std::string error_message_of(std::string_view body);

}  // namespace tp::transport
