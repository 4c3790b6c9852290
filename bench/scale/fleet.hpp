// Simulated nodes for bench_scale: each holds its own mutual-TLS control-plane
// connection to auth (with its own certificate, as a real node's auth link
// does) and, like actors/host/heartbeat.cpp, sends a heartbeat_request with
// its labels and then a rotation_status_request, waits for each reply, and
// starts over heartbeat_interval (5 s) later. A failed or timed-out call
// drops the connection; it is made again with the real backoff
// (reconnect_delay). Thousands of nodes share a few event-loop threads (Asio
// stays out of this header).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/scale/node_join.hpp"
#include "messages/node.hpp"
#include "messages/result.hpp"
#include "transport/x509_key.hpp"

namespace tp::bench {

struct fleet_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  unsigned threads = 2;
  // Per thread: TLS handshakes in flight plus connected nodes whose first heartbeat
  // was not answered yet.
  std::size_t max_connecting = 64;
  // New connections per second, all threads together (0: as fast as they go). Steady
  // state is what is measured: a herd of handshakes starves auth's request thread
  // and the nodes' 10 s call timeouts then snowball into reconnects.
  double connects_per_second = 500;
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds call_timeout{10000};  // the real auth link's
  bool follow_rotation = true;  // ask rotation_status after each heartbeat, as nodes do
};

// What happened between begin_window() and end_window().
struct window_stats {
  double seconds = 0;
  std::size_t heartbeats_ok = 0;
  std::size_t heartbeats_refused = 0;  // an api_error reply
  std::size_t rotations_ok = 0;
  std::size_t timeouts = 0;         // calls without a reply within call_timeout
  std::size_t drops = 0;            // connections lost (their node reconnects)
  std::vector<float> heartbeat_ms;  // round trips of the successful heartbeats, sorted
  double rotation_ms_total = 0;
  std::map<std::string, std::size_t> problems;  // reason -> count (the first few reasons)
};

struct fleet_status {
  std::size_t nodes = 0;
  std::size_t connected = 0;    // TLS connection up
  std::size_t established = 0;  // a heartbeat succeeded on the current connection
  std::size_t connect_failures = 0;
  std::string last_connect_error;
  std::size_t drops = 0;  // connections lost since the start (each node reconnects)
  std::string last_drop;
};

class fleet {
 public:
  // `tls_key`: the private key of every node's certificate; `tls_ca_pem`: the
  // cluster CA(s) the auth server's certificate must chain to; `base`: the
  // node record each heartbeat carries (labels, host key, version); name,
  // hostname and addr are filled per node.
  static tp::result<std::unique_ptr<fleet>> create(const fleet_options& options,
                                                   const transport::x509_private_key& tls_key,
                                                   const std::string& tls_ca_pem,
                                                   const messages::node& base);
  ~fleet();  // closes every connection
  fleet(const fleet&) = delete;
  fleet& operator=(const fleet&) = delete;

  // The nodes start connecting (see max_connecting and connects_per_second);
  // each heartbeats as soon as it is connected.
  void add(std::vector<joined_node> nodes);
  fleet_status status() const;

  void begin_window();
  window_stats end_window();

  struct impl;

 private:
  explicit fleet(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace tp::bench
