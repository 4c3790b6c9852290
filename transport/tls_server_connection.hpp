// One accepted control-plane connection (internal to tls_server.cpp).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "transport/tls_context.hpp"
#include "transport/tls_server.hpp"

namespace tp::transport::detail {

class server_connection;

// Everything connections need from their server. Connections hold it by
// shared_ptr, so the io_context outlives every socket even when a user keeps a
// connection_ptr after the server is gone.
struct server_shared {
  server_shared(tls_server_config c, tls_server_handlers h, ssl_context_ptr ctx)
      : config(std::move(c)), handlers(std::move(h)), ssl(std::move(ctx)) {}

  std::shared_ptr<boost::asio::ssl::context> current_ssl() {
    std::lock_guard lock(ssl_mu);  // not mu: connections are made while mu is held
    return ssl;
  }

  tls_server_config config;
  tls_server_handlers handlers;
  // Replaced by tls_server::reload; each connection keeps the one it started with.
  std::shared_ptr<boost::asio::ssl::context> ssl;  // guarded by ssl_mu
  std::mutex ssl_mu;
  boost::asio::io_context ioc;

  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<std::uint64_t, std::weak_ptr<server_connection>> live;  // guarded by mu
  std::uint64_t next_id = 1;                                                 // guarded by mu

  void reject(const std::string& remote, const error& why) const {
    if (handlers.on_reject) handlers.on_reject(remote, why);
  }
  void forget(std::uint64_t id);
};

class server_connection final : public tls_connection,
                                public std::enable_shared_from_this<server_connection> {
 public:
  using socket_type = boost::asio::ip::tcp::socket;

  server_connection(std::shared_ptr<server_shared> shared, socket_type socket, std::uint64_t id,
                    std::string remote);

  void start();
  void abort(std::string why);  // closes at once (server stop)

  status send(frame f) override;
  void close(std::string reason) override;
  const std::optional<peer_identity>& identity() const override { return identity_; }
  const std::string& remote_address() const override { return remote_; }
  std::uint64_t id() const override { return id_; }

 private:
  enum class state { handshaking, open, closing, draining, closed };

  void on_handshake(const boost::system::error_code& ec);
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void handle_frame(frame f);
  void enqueue(std::vector<char> bytes);
  void write();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void arm_timer(std::chrono::milliseconds after);
  void on_timer(const boost::system::error_code& ec);
  void begin_close(status why, std::string error_frame_text);
  void drain();
  void finish(status why);
  void refuse(const std::string& why);  // before on_connect: report and close
  template <class F>
  status guarded(const char* what, F&& f);

  std::shared_ptr<server_shared> shared_;
  const std::uint64_t id_;
  const std::string remote_;
  std::shared_ptr<boost::asio::ssl::context> ssl_;  // outlives stream_'s SSL object
  boost::asio::ssl::stream<socket_type> stream_;
  boost::asio::steady_timer timer_;
  frame_decoder decoder_;
  std::array<char, 16 * 1024> read_buf_{};
  std::deque<std::vector<char>> write_queue_;
  bool writing_ = false;
  state state_ = state::handshaking;
  bool connected_ = false;  // on_connect ran, so on_close is owed
  std::chrono::steady_clock::time_point last_activity_;
  status close_reason_;
  std::optional<peer_identity> identity_;
  std::atomic<bool> closed_{false};           // readable from any thread
  std::atomic<std::size_t> queued_bytes_{0};  // readable from any thread
};

}  // namespace tp::transport::detail
