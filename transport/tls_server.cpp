#include "transport/tls_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include <thread>

#include "transport/listener_set.hpp"
#include "transport/tls_server_connection.hpp"

namespace tp::transport {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::chrono::seconds stop_grace{5};

std::string endpoint_text(const tcp::endpoint& ep) {
  auto addr = ep.address();
  std::string host = addr.to_string();
  if (addr.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

}  // namespace

struct tls_server::impl {
  explicit impl(std::shared_ptr<detail::server_shared> s)
      : shared(std::move(s)),
        acceptor(net::make_strand(shared->ioc)),
        retry_timer(acceptor.get_executor()),
        work(net::make_work_guard(shared->ioc)) {}

  void accept();
  void on_accept(const boost::system::error_code& ec, tcp::socket socket);

  std::shared_ptr<detail::server_shared> shared;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  net::executor_work_guard<net::io_context::executor_type> work;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool stopping = false;  // guarded by shared->mu
  std::mutex stop_mu;     // serializes stop()
  bool stopped = false;   // guarded by stop_mu
};

void tls_server::impl::accept() {
  acceptor.async_accept(net::any_io_executor(net::make_strand(shared->ioc)),
                        [this](const boost::system::error_code& ec, tcp::socket socket) {
                          on_accept(ec, std::move(socket));
                        });
}

void tls_server::impl::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: back off instead of spinning.
    retry_timer.expires_after(std::chrono::milliseconds(100));
    retry_timer.async_wait([this](const boost::system::error_code& e) {
      if (!e && acceptor.is_open()) accept();
    });
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto remote_ep = socket.remote_endpoint(ignored);
  std::string remote = ignored ? std::string("unknown") : endpoint_text(remote_ep);
  std::shared_ptr<detail::server_connection> conn;
  bool over_limit = false;
  {
    std::lock_guard lock(shared->mu);
    if (stopping) return;  // the socket closes as it goes out of scope
    if (shared->live.size() >= shared->config.max_connections) {
      over_limit = true;
    } else {
      std::uint64_t id = shared->next_id++;
      conn = std::make_shared<detail::server_connection>(shared, std::move(socket), id, remote);
      shared->live.emplace(id, conn);
    }
  }
  if (over_limit) {
    socket.close(ignored);
    try {
      shared->reject(remote, make_error("too many connections (the limit is " +
                                        std::to_string(shared->config.max_connections) + ")"));
    } catch (...) {
    }
  } else {
    conn->start();
  }
  accept();
}

tls_server::tls_server(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

tls_server::~tls_server() {
  stop();
}

result<std::unique_ptr<tls_server>> tls_server::start(tls_server_config config,
                                                      tls_server_handlers handlers) {
  if (config.io_threads == 0 || config.io_threads > 64)
    return make_error("io_threads must be between 1 and 64");
  if (config.max_connections == 0) return make_error("max_connections must be at least 1");
  if (config.handshake_timeout.count() <= 0 || config.idle_timeout.count() <= 0)
    return make_error("timeouts must be positive");
  if (config.credentials.cert.empty() || config.credentials.key.empty())
    return make_error("the TLS server needs a certificate and key");
  if (config.ca.empty()) return make_error("the TLS server needs the cluster CA certificate");
  if (auto st = verify_x509_chain(config.credentials.cert, config.ca, x509_purpose::tls_server);
      !st)
    return make_error("the server certificate is not valid under the cluster CA: " + st.message());
  boost::system::error_code ec;
  auto address = net::ip::make_address(config.bind_address, ec);
  if (ec)
    return make_error("invalid bind address \"" + config.bind_address + "\" (expected an IP)");
  auto ctx = detail::make_server_context(config.credentials, config.ca, config.also_trusted);
  if (!ctx) return ctx.err();

  const tcp::endpoint endpoint(address, config.port);
  auto shared = std::make_shared<detail::server_shared>(std::move(config), std::move(handlers),
                                                        std::move(ctx).value());
  auto im = std::make_unique<impl>(shared);
  auto fail = [&](const char* what) {
    return make_error(std::string("cannot ") + what + " " + endpoint_text(endpoint) + ": " +
                      ec.message());
  };
  // Through the listener set, which hands the socket over on a graceful restart.
  auto fd = listen_tcp(shared->config.bind_address, shared->config.port, SOMAXCONN);
  if (!fd) return fd.err();
  if (im->acceptor.assign(endpoint.protocol(), fd->get(), ec); ec)
    return fail("take the socket of");
  fd->release();
  im->port = im->acceptor.local_endpoint(ec).port();
  if (ec) return fail("read the port of");

  im->accept();
  for (std::size_t i = 0; i < shared->config.io_threads; ++i) {
    im->threads.emplace_back([s = shared.get()] {
      // Handlers are guarded where they are called; this is the last line.
      while (true) {
        try {
          s->ioc.run();
          return;
        } catch (...) {
        }
      }
    });
  }
  return std::unique_ptr<tls_server>(new tls_server(std::move(im)));
}

status tls_server::reload(const tls_credentials& credentials, const x509_certificate& ca,
                          const std::vector<x509_certificate>& also_trusted) {
  if (auto st = verify_x509_chain(credentials.cert, ca, x509_purpose::tls_server); !st)
    return make_error("the server certificate is not valid under the cluster CA: " + st.message());
  auto ctx = detail::make_server_context(credentials, ca, also_trusted);
  if (!ctx) return ctx.err();
  std::shared_ptr<boost::asio::ssl::context> next(std::move(ctx).value());
  auto& shared = *impl_->shared;
  std::lock_guard lock(shared.ssl_mu);
  shared.ssl = std::move(next);
  return {};
}

std::uint16_t tls_server::port() const {
  return impl_->port;
}

std::size_t tls_server::connection_count() const {
  std::lock_guard lock(impl_->shared->mu);
  return impl_->shared->live.size();
}

void tls_server::stop() {
  if (!impl_) return;
  std::lock_guard stop_lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  auto& shared = *impl_->shared;
  assert(!shared.ioc.get_executor().running_in_this_thread() && "stop() from a handler deadlocks");

  std::vector<std::shared_ptr<detail::server_connection>> conns;
  {
    std::lock_guard lock(shared.mu);
    impl_->stopping = true;
    for (auto& [id, weak] : shared.live) {
      if (auto c = weak.lock()) conns.push_back(std::move(c));
    }
  }
  net::post(impl_->acceptor.get_executor(), [im = impl_.get()] {
    boost::system::error_code ignored;
    im->acceptor.close(ignored);
    im->retry_timer.cancel();
  });
  for (auto& c : conns) c->abort("the server is stopping");
  conns.clear();
  {
    std::unique_lock lock(shared.mu);
    shared.cv.wait_for(lock, stop_grace, [&] { return shared.live.empty(); });
  }
  impl_->work.reset();
  shared.ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // Run what completed after the threads left (aborted operations), so no
  // handler keeps a connection, and through it the io_context, alive.
  shared.ioc.restart();
  shared.ioc.poll();
}

}  // namespace tp::transport
