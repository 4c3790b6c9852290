#include "transport/tls_server_connection.hpp"

#include <openssl/ssl.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

namespace tp::transport::detail {
namespace net = boost::asio;
using std::chrono::steady_clock;

namespace {

// How long a closing connection may take to flush and see the peer hang up.
constexpr std::chrono::milliseconds linger{2000};
constexpr std::size_t max_error_text = 4096;

bool orderly_eof(const boost::system::error_code& ec) {
  return ec == net::error::eof || ec == net::ssl::error::stream_truncated;
}

std::vector<char> encoded(frame_type type, std::string_view text) {
  std::vector<char> out;
  [[maybe_unused]] auto st = encode_frame(frame::make(type, text.substr(0, max_error_text)), out);
  assert(st.ok());
  return out;
}

}  // namespace

void server_shared::forget(std::uint64_t id) {
  {
    std::lock_guard lock(mu);
    live.erase(id);
  }
  cv.notify_all();
}

server_connection::server_connection(std::shared_ptr<server_shared> shared, socket_type socket,
                                     std::uint64_t id, std::string remote)
    : shared_(std::move(shared)),
      id_(id),
      remote_(std::move(remote)),
      ssl_(shared_->current_ssl()),
      stream_(std::move(socket), *ssl_),
      timer_(stream_.get_executor()),
      decoder_(shared_->config.max_frame_payload) {}

template <class F>
status server_connection::guarded(const char* what, F&& f) {
  // A throwing handler must not take an io thread down with it.
  try {
    f();
    return {};
  } catch (const std::exception& e) {
    return make_error(std::string(what) + " handler threw: " + e.what());
  } catch (...) {
    return make_error(std::string(what) + " handler threw");
  }
}

void server_connection::start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->state_ != state::handshaking) return;  // aborted before it started
    self->arm_timer(self->shared_->config.handshake_timeout);
    self->stream_.async_handshake(
        net::ssl::stream_base::server,
        [self](const boost::system::error_code& ec) { self->on_handshake(ec); });
  });
}

void server_connection::abort(std::string why) {
  net::dispatch(stream_.get_executor(), [self = shared_from_this(), why = std::move(why)] {
    self->finish(make_error(why));
  });
}

void server_connection::on_handshake(const boost::system::error_code& ec) {
  if (state_ != state::handshaking) return;  // timed out or aborted meanwhile
  if (ec) {
    std::string why = "TLS handshake failed: " + describe(ec);
    if (long v = SSL_get_verify_result(stream_.native_handle()); v != X509_V_OK)
      why += std::string(" (client certificate: ") + X509_verify_cert_error_string(v) + ")";
    return refuse(why);
  }
  state_ = state::open;
  last_activity_ = steady_clock::now();
  arm_timer(shared_->config.idle_timeout);
  // The handshake only completes when a presented certificate verified
  // against the cluster CA (SSL_VERIFY_PEER), so a certificate here is trusted.
  if (X509* peer = SSL_get0_peer_certificate(stream_.native_handle())) {
    if (SSL_get_verify_result(stream_.native_handle()) != X509_V_OK) {
      begin_close(make_error("client certificate did not verify"),
                  "the client certificate did not verify");
      return read();
    }
    X509_up_ref(peer);
    auto id = identity_from_certificate(x509_certificate(peer));
    if (!id) {
      std::string why = "the client certificate carries no usable identity: " + id.message();
      begin_close(make_error(why), why);
      return read();  // drain until the client hangs up
    }
    identity_ = std::move(id).value();
  }
  connected_ = true;
  if (shared_->handlers.on_connect) {
    auto self = shared_from_this();
    if (auto st = guarded("on_connect", [&] { shared_->handlers.on_connect(self, identity_); });
        !st)
      begin_close(st, "internal error");
  }
  if (state_ != state::closed) read();
}

void server_connection::read() {
  stream_.async_read_some(net::buffer(read_buf_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      std::size_t n) { self->on_read(ec, n); });
}

void server_connection::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (state_ == state::closed) return;
  if (state_ == state::open && n > 0) {
    status fed = decoder_.feed(std::string_view(read_buf_.data(), n));
    // Frames completed before a bad header are still delivered.
    while (state_ == state::open) {
      auto f = decoder_.next();
      if (!f) break;
      handle_frame(std::move(*f));
    }
    if (!fed) begin_close(fed, fed.message());
  }
  if (ec) {
    status why;
    if (state_ != state::open) {
      why = close_reason_;
    } else if (!orderly_eof(ec)) {
      why = make_error(describe(ec));
    } else if (auto st = decoder_.finish(); !st) {
      why = st;
    }
    return finish(why);
  }
  if (state_ != state::closed) read();  // while closing: read and discard until the peer hangs up
}

void server_connection::handle_frame(frame f) {
  last_activity_ = steady_clock::now();
  switch (f.type) {
    case frame_type::message:
      if (shared_->handlers.on_frame) {
        auto self = shared_from_this();
        if (auto st = guarded("on_frame", [&] { shared_->handlers.on_frame(self, std::move(f)); });
            !st)
          begin_close(st, "internal error");
      }
      break;
    case frame_type::ping:
      enqueue(encoded(frame_type::pong, {}));
      break;
    case frame_type::pong:
      break;
    case frame_type::error:
      begin_close(make_error("the peer closed the connection: " +
                             std::string(f.text().substr(0, max_error_text))),
                  {});
      break;
  }
}

status server_connection::send(frame f) {
  if (closed_) return make_error("the connection is closed");
  auto bytes = encode_frame(f, shared_->config.max_frame_payload);
  if (!bytes) return bytes.err();
  const std::size_t size = bytes->size();
  const std::size_t limit = shared_->config.max_send_queue_bytes;
  if (queued_bytes_.fetch_add(size) + size > limit) {
    queued_bytes_ -= size;
    std::string why = "the send queue is over " + std::to_string(limit) +
                      " bytes: the peer does not read fast enough";
    close(why);
    return make_error(why);
  }
  net::post(stream_.get_executor(),
            [self = shared_from_this(), bytes = std::move(bytes).value(), size]() mutable {
              if (self->state_ != state::open) {
                self->queued_bytes_ -= size;
                return;
              }
              self->write_queue_.push_back(std::move(bytes));
              if (!self->writing_) self->write();
            });
  return {};
}

void server_connection::enqueue(std::vector<char> bytes) {
  queued_bytes_ += bytes.size();
  write_queue_.push_back(std::move(bytes));
  if (!writing_) write();
}

void server_connection::write() {
  writing_ = true;
  net::async_write(stream_, net::buffer(write_queue_.front()),
                   [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                     self->on_write(ec, n);
                   });
}

void server_connection::on_write(const boost::system::error_code& ec, std::size_t) {
  writing_ = false;
  if (state_ == state::closed) return;
  if (ec) return finish(state_ == state::open ? make_error(describe(ec)) : close_reason_);
  queued_bytes_ -= write_queue_.front().size();
  write_queue_.pop_front();
  if (!write_queue_.empty()) return write();
  if (state_ == state::closing) drain();
}

void server_connection::close(std::string reason) {
  net::post(stream_.get_executor(), [self = shared_from_this(), reason = std::move(reason)] {
    self->begin_close(reason.empty() ? status{} : make_error(reason), reason);
  });
}

void server_connection::begin_close(status why, std::string error_frame_text) {
  if (state_ == state::handshaking) return finish(why);
  if (state_ != state::open) return;
  state_ = state::closing;
  closed_ = true;
  close_reason_ = std::move(why);
  if (!error_frame_text.empty()) enqueue(encoded(frame_type::error, error_frame_text));
  arm_timer(linger);
  if (!writing_) drain();
}

void server_connection::drain() {
  // Half-close and keep reading until the peer hangs up (or linger ends):
  // closing with unread input would reset the connection and could destroy
  // the error frame before the peer reads it.
  state_ = state::draining;
  boost::system::error_code ignored;
  stream_.lowest_layer().shutdown(socket_type::shutdown_send, ignored);
}

void server_connection::arm_timer(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait(
      [self = shared_from_this()](const boost::system::error_code& ec) { self->on_timer(ec); });
}

void server_connection::on_timer(const boost::system::error_code& ec) {
  if (ec || state_ == state::closed) return;
  const auto now = steady_clock::now();
  if (timer_.expiry() > now) return;  // re-armed after this wait completed
  switch (state_) {
    case state::handshaking:
      return refuse("the TLS handshake did not finish within " +
                    std::to_string(shared_->config.handshake_timeout.count()) + " ms");
    case state::open: {
      const auto idle = shared_->config.idle_timeout;
      const auto quiet =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - last_activity_);
      if (quiet < idle) return arm_timer(idle - quiet);
      std::string why =
          "no frame for " + std::to_string(idle.count()) + " ms: closing an idle connection";
      return begin_close(make_error(why), why);
    }
    case state::closing:
    case state::draining:
      return finish(close_reason_);
    case state::closed:
      return;
  }
}

void server_connection::refuse(const std::string& why) {
  finish(make_error(why));
}

void server_connection::finish(status why) {
  if (state_ == state::closed) return;
  state_ = state::closed;
  closed_ = true;
  timer_.cancel();
  boost::system::error_code ignored;
  stream_.lowest_layer().close(ignored);
  write_queue_.clear();
  queued_bytes_ = 0;
  // Free the connection slot first: whoever learns of the close from the
  // handler may reconnect at once. (stop() still waits for this handler,
  // since it joins the io threads.)
  shared_->forget(id_);
  if (connected_) {
    if (shared_->handlers.on_close) {
      auto self = shared_from_this();
      (void)guarded("on_close", [&] { shared_->handlers.on_close(self, why); });
    }
  } else {
    error e = why.ok() ? make_error("the connection closed before it was set up") : why.err();
    (void)guarded("on_reject", [&] { shared_->reject(remote_, e); });
  }
}

}  // namespace tp::transport::detail
