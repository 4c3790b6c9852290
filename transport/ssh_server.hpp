// The SSH server of the node service (port 3022): libssh sessions on an ssh_reactor,
// OpenSSH user certificates as the only way in (decided by an ssh_server_handler), and
// channels handed to the handler's session/channel handlers.
//
// Connections are accepted on reactor loop 0 and spread round-robin over all loops; key
// exchange, authentication and channel I/O are non-blocking on the connection's loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "transport/ssh_key.hpp"
#include "transport/ssh_reactor.hpp"
#include "transport/ssh_reactor_fd.hpp"
#include "transport/ssh_server_handler.hpp"

namespace tp::transport {

struct ssh_server_options {
  std::string listen_address = "127.0.0.1";  // IP literal; "0.0.0.0" / "::" for all
  std::uint16_t port = 0;                    // 0: any free port, see ssh_server::port()
  // Host keys: OpenSSH private key files and/or keys in memory. At least one.
  std::vector<std::string> host_key_files;
  std::vector<key_pair> host_keys;
  // Algorithm lists (comma-separated, OpenSSH names); empty keeps libssh's defaults.
  std::string ciphers;
  std::string kex_algorithms;
  std::string macs;
  std::string hostkey_algorithms;
  // Connections beyond this are closed right after accept.
  // false: no listener; connections come only through adopt().
  bool listen = true;
  std::size_t max_connections = 10000;
  std::size_t max_channels_per_session = 64;
  // A connection not authenticated after this long is dropped.
  std::chrono::milliseconds auth_timeout{30'000};
  // Refused authentication attempts (probes included) before the connection is dropped.
  unsigned max_auth_tries = 6;
  // Disconnect after this long without any channel traffic; 0 = never.
  std::chrono::milliseconds idle_timeout{0};
  int listen_backlog = 1024;
};

class ssh_server {
 public:
  // Binds and starts accepting. The reactor must outlive the server.
  static result<std::unique_ptr<ssh_server>> start(ssh_reactor& reactor, ssh_server_options options,
                                                   std::shared_ptr<ssh_server_handler> handler);
  ~ssh_server();  // stop()
  ssh_server(const ssh_server&) = delete;
  ssh_server& operator=(const ssh_server&) = delete;

  std::uint16_t port() const { return port_; }
  // Serves an already connected stream socket as if it had been accepted, with
  // `handler` for this connection (the recording proxy's in-process SSH endpoint for
  // a proxied connection). Any thread.
  status adopt(unique_fd fd, std::string peer_address, std::uint16_t peer_port,
               std::shared_ptr<ssh_server_handler> handler);
  std::size_t session_count() const;
  // Closes the listener, then ends every session (handlers see on_close) and waits for
  // that on each loop. Idempotent. Not from a reactor thread.
  void stop();

  struct impl;

 private:
  explicit ssh_server(std::unique_ptr<impl> impl, std::uint16_t port);
  std::unique_ptr<impl> impl_;
  std::uint16_t port_;
};

}  // namespace tp::transport
