#include "actors/proxy/web_server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <thread>
#include <vector>

#include "transport/listener_set.hpp"

namespace tp::actors {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto io_timeout = std::chrono::seconds{30};

struct shared {
  web_router router;
  asio::thread_pool workers;
  std::size_t max_body;
  shared(web_router r, std::size_t workers_n, std::size_t max)
      : router(std::move(r)), workers(workers_n), max_body(max) {}
};

// One connection: read a request, hand it to the workers, write the answer,
// repeat while the client keeps the connection alive.
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
 public:
  session(Stream stream, std::shared_ptr<shared> s, std::string remote)
      : stream_(std::move(stream)), shared_(std::move(s)), remote_(std::move(remote)) {}

  void start() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(io_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read();
                              });
    } else {
      read();
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(shared_->max_body);
    parser_->header_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(io_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return close();
    if (ec) {
      if (ec == http::error::body_limit || ec == http::error::header_limit) {
        reply(request_type{},
              web_response{413, "application/json", R"({"error":{"message":"request too large"}})"},
              false);
      }
      return;
    }
    request_ = parser_->release();
    web_request req{std::string(request_.method_string()), std::string(request_.target()),
                    request_.body(), remote_};
    // The handler may wait for auth: run it off the I/O threads.
    asio::post(shared_->workers, [self = this->shared_from_this(), req = std::move(req)] {
      web_response resp;
      try {
        resp = self->shared_->router(req);
      } catch (const std::exception& e) {
        spdlog::error("web: handler for {} failed: {}", req.target, e.what());
        resp = web_response{500, "application/json", R"({"error":{"message":"internal error"}})"};
      }
      auto& io = beast::get_lowest_layer(self->stream_);
      asio::post(io.get_executor(), [self, resp = std::move(resp)]() mutable {
        self->reply(self->request_, std::move(resp), self->request_.keep_alive());
      });
    });
  }

  using request_type = http::request<http::string_body>;

  void reply(const request_type& req, web_response r, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), req.version() ? req.version() : 11);
    res->set(http::field::server, "teleport-cpp");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    res->set("X-Frame-Options", "DENY");
    res->keep_alive(keep_alive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(io_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (res->keep_alive())
                          self->read();
                        else
                          self->close();
                      });
  }

  void close() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds{5});
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  std::shared_ptr<shared> shared_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  request_type request_;
};

}  // namespace

struct web_server::impl {
  asio::io_context io;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor{io};
  std::shared_ptr<shared> state;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool stopped = false;
  tp::transport::accept_stop_handle accept_stop;  // reset first: see ~web_server

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket sock) {
      if (ec) {
        if (ec != asio::error::operation_aborted) accept();
        return;
      }
      beast::error_code ignored;
      const auto ep = sock.remote_endpoint(ignored);
      const std::string remote = ignored ? "" : ep.address().to_string();
      if (tls) {
        std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(sock)), *tls), state,
            remote)
            ->start();
      } else {
        std::make_shared<session<beast::tcp_stream>>(beast::tcp_stream(std::move(sock)), state,
                                                     remote)
            ->start();
      }
      accept();
    });
  }
};

web_server::web_server(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

web_server::~web_server() {
  if (impl_) impl_->accept_stop.reset();  // waits for a stop_accepting() under way
  stop();
}

std::uint16_t web_server::port() const {
  return impl_->port;
}

void web_server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  asio::post(impl_->io, [i = impl_.get()] {
    beast::error_code ec;
    i->acceptor.close(ec);
  });
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->state->workers.join();
}

tp::result<std::unique_ptr<web_server>> web_server::start(web_server_options o, web_router router) {
  auto i = std::make_unique<impl>();
  i->state = std::make_shared<shared>(std::move(router), o.worker_threads, o.max_body_bytes);
  try {
    if (o.tls) {
      i->tls.emplace(ssl::context::tls_server);
      i->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
      i->tls->use_certificate_chain(asio::buffer(o.tls->first));
      i->tls->use_private_key(asio::buffer(o.tls->second), ssl::context::pem);
    }
    const auto addr = asio::ip::make_address(o.bind_address);
    tcp::endpoint ep{addr, o.port};
    // Through the listener set, which hands the socket over on a graceful restart.
    auto fd = tp::transport::listen_tcp(o.bind_address, o.port, SOMAXCONN);
    if (!fd) return fd.err();
    i->acceptor.assign(ep.protocol(), fd->get());
    fd->release();
    i->port = i->acceptor.local_endpoint().port();
  } catch (const std::exception& e) {
    return tp::make_error(std::string("web listener on ") + o.bind_address + ":" +
                          std::to_string(o.port) + ": " + e.what());
  }
  i->accept();
  // A graceful restart's old process: no new connections, the open ones go on.
  i->accept_stop = tp::transport::on_stop_accepting([ip = i.get()] {
    asio::post(ip->io, [ip] {
      beast::error_code ec;
      ip->acceptor.close(ec);
    });
  });
  for (std::size_t n = 0; n < std::max<std::size_t>(1, o.io_threads); ++n) {
    i->threads.emplace_back([io = &i->io] { io->run(); });
  }
  return std::unique_ptr<web_server>(new web_server(std::move(i)));
}

}  // namespace tp::actors
