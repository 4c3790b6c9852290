// An HTTP/1.1 JSON client for servers such as etcd v3's JSON gateway: POSTs over a small pool
// of keep-alive connections with failover across endpoints, and long-lived streaming POSTs
// (watches). Every connect, handshake and request/response step is bounded by a timeout;
// errors name the peer and say what to fix. Boost.Beast stays out of this header.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/result.hpp"

namespace tp::transport {

using http_headers = std::vector<std::pair<std::string, std::string>>;

struct http_client_options {
  std::vector<std::string> endpoints;  // "http://host:port" or "https://host:port"; tried in order
  std::string ca_file;                 // PEM bundle that verifies the server; empty: system store
  std::string cert_file, key_file;     // client certificate for mutual TLS (both or neither)
  bool insecure = false;               // do not verify the server certificate
  std::chrono::milliseconds timeout{5000};  // per step: resolve, connect, handshake, write, read
  std::size_t max_body = 64u << 20;
  std::string what = "server";  // names the peer in errors, e.g. "etcd"
  std::string content_type = "application/json";
  // Called for every request sent (each attempt, on whichever endpoint) with the Host
  // header's value ("host:port"), the target, the request's extra headers and the body;
  // returns headers to add, e.g. an AWS Signature Version 4 and its date.
  std::function<http_headers(std::string_view authority, std::string_view target,
                             const http_headers& extra, std::string_view body)>
      sign{};
};

struct http_reply {
  unsigned status = 0;
  std::string body;
};

class http_client {  // thread-safe
 public:
  // Fails for bad endpoints (scheme http or https, host:port, no path) and for CA, certificate
  // or key files that cannot be read or do not parse, naming the file.
  static result<std::shared_ptr<http_client>> create(http_client_options o);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // POST with Content-Type: application/json. Connections are kept alive and pooled (a few
  // idle ones at most). A reused connection that fails before any reply arrived (the server
  // closed it) is retried once on a fresh one; a fresh connection that fails before any reply
  // arrived tries the next endpoint, and the endpoint that worked is tried first next time.
  // A timeout after the request was sent is not retried (the server may have acted on it) but
  // makes the next call start with the next endpoint. An HTTP status is not an error here.
  // Errors: "<what> at <url> unreachable: <reason>", "<what> at <url> rejected the client
  // certificate ...", "<what> at <url>: its TLS certificate is not trusted: <reason>"; when
  // several endpoints failed, each one's reason.
  // extra: headers for this request (e.g. X-Amz-Target), sent and signed with the rest.
  result<http_reply> post(std::string_view target, std::string_view body,
                          const http_headers& extra = {});

  // A streaming POST on its own connection: on_data gets each piece of the response body as
  // it arrives (chunked transfer-encoding decoded). Ends with ok when the server ends the body
  // or on_data returns false, and with the error "stopped" once `stop` is true (checked at
  // least every 200 ms). A non-2xx status is an error carrying the status and body. The body
  // has no overall timeout; connecting and the response headers are bounded by the timeout,
  // and any failure before the headers arrived tries the next endpoint.
  status stream(std::string_view target, std::string_view body,
                const std::function<bool(std::string_view)>& on_data,
                const std::atomic<bool>& stop);

 private:
  struct impl;
  explicit http_client(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace tp::transport
