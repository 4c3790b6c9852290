// A channel handler that bridges a channel and a stream socket: direct-tcpip (ssh -L)
// connections, and the connections of forwarded agents. Client EOF becomes
// shutdown(SHUT_WR); socket EOF becomes channel EOF; the channel closes when both
// directions are done.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transport/ssh_reactor_fd.hpp"
#include "transport/ssh_server_handler.hpp"
#include "transport/ssh_server_pump.hpp"

namespace tp::transport {

class socket_channel : public channel_handler {
 public:
  // An already connected socket (made non-blocking here).
  explicit socket_channel(unique_fd sock);
  // Connects to host:port once the channel is open (non-blocking). IP literals connect
  // at once; names are resolved on a short-lived helper thread, so the reactor never
  // blocks in DNS. The reactor must outlive pending resolutions.
  static std::unique_ptr<socket_channel> connect_to(std::string host, std::uint16_t port);
  ~socket_channel() override;

  void on_open(server_channel& ch) override;
  std::size_t on_data(std::string_view data) override;
  void on_eof() override;
  void on_writable() override;
  void on_close() override;

  // Why the connection failed, for the caller's logs (empty while fine).
  const std::string& error() const { return error_; }

 private:
  struct link;
  socket_channel() = default;
  void resolve();
  void on_resolved(std::vector<sockaddr_storage> addrs, std::string error);
  void try_connect();
  void on_connect_ready();
  void start_pump();
  void fail(std::string why);
  void maybe_close();

  server_channel* ch_ = nullptr;
  unique_fd sock_;
  std::string host_;
  std::uint16_t port_ = 0;
  std::vector<sockaddr_storage> addrs_;
  std::size_t next_addr_ = 0;
  std::shared_ptr<link> link_;
  reactor_loop::watch_id connect_watch_ = 0;
  std::unique_ptr<channel_pump> pump_;
  bool client_eof_ = false;
  bool input_done_ = false;
  bool output_done_ = false;
  bool closed_ = false;
  std::string error_;
};

}  // namespace tp::transport
