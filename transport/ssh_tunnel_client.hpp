// The dialing end of a reverse tunnel (a leaf cluster's proxy): an SSH client over an
// outbound TCP connection to the root proxy's tunnel port, authenticated with the
// leaf proxy's host certificate, then used in reverse: the root opens
// "forwarded-tcpip" channels whose destination names what to reach, and this end
// dials it and pipes bytes. One "session" channel with the subsystem "tp-tunnel"
// carries the heartbeat lines (tunnel_frame.hpp) both ways; the root's first line is
// its host certificate, which must vouch for the key of the server we reached before
// any channel is served (libssh cannot check host certificates itself).
//
// run() owns the calling thread until the connection ends (one thread per tunnel).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "messages/result.hpp"

namespace tp::transport {

struct tunnel_client_options {
  int fd = -1;              // connected socket; run() takes ownership
  std::string user;         // the leaf cluster's name
  std::string private_key;  // openssh-key-v1 text of the host key
  std::string certificate;  // its host certificate line
  std::chrono::milliseconds heartbeat{5000};
  // Missing this many heartbeat answers in a row ends the connection.
  unsigned missed_heartbeats = 3;
  // The root's host certificate line and the key blob the server presented: ok or why not.
  std::function<status(const std::string& cert_line, const std::string& server_key_blob)>
      check_server;
  // A destination of a forwarded channel: a connected socket (blocking connect is fine,
  // bounded), or an error. Destinations starting with '@' are queries ("@nodes"), which
  // the dialer answers through a stream of its own.
  std::function<result<int>(const std::string& host, std::uint16_t port)> dial;
  // Heartbeat line content (JSON object text), called each interval.
  std::function<std::string()> heartbeat_payload;
  // Each answer line of the root (JSON object text), on the tunnel's thread.
  std::function<void(const std::string&)> on_answer;
  // Called once the server was checked and channels are served.
  std::function<void()> on_ready;
  const std::atomic<bool>* stop = nullptr;  // set from another thread to end run()
};

// Runs one tunnel connection to its end; the error says why it ended ("stopped" when
// asked to).
status run_tunnel_client(tunnel_client_options options);

}  // namespace tp::transport
