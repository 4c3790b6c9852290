#include "transport/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <functional>

#include "transport/tls_context.hpp"
#include "transport/tls_peer.hpp"

namespace tp::transport {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::steady_clock;

constexpr std::size_t max_ready_frames = 256;

struct tls_client::impl {
  impl(const tls_client_config& c, detail::ssl_context_ptr context)
      : config(c),
        target(c.host + ":" + std::to_string(c.port)),
        ctx(std::move(context)),
        stream(ioc, *ctx),
        decoder(c.max_frame_payload) {}

  // Runs the io_context until done() or the deadline. False on timeout (or
  // when nothing is left that could make progress).
  bool run_until(const std::function<bool()>& done, steady_clock::time_point deadline) {
    while (!done()) {
      if (ioc.stopped()) ioc.restart();
      if (steady_clock::now() >= deadline) return false;
      if (ioc.run_one_until(deadline) == 0 && steady_clock::now() < deadline && ioc.stopped())
        return false;
    }
    return true;
  }

  // Closes the socket and lets aborted operations complete, so no handler
  // outlives the locals it refers to.
  void abort_pending() {
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
    ioc.restart();
    ioc.run_for(std::chrono::seconds(1));
  }

  void fail(error e) {
    if (!closed) closed = std::move(e);
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
  }

  // Reads until the connection ends, pausing while `max_ready_frames` frames
  // wait for receive(): a flooding server cannot grow our memory.
  void start_read() {
    if (reading || closed || decoder.ready() >= max_ready_frames) return;
    reading = true;
    stream.async_read_some(net::buffer(buf), [this](const boost::system::error_code& ec,
                                                    std::size_t n) {
      reading = false;
      if (closed) return;
      if (n > 0) {
        if (auto st = decoder.feed(std::string_view(buf.data(), n)); !st)
          return fail(
              make_error("bad framing from the auth server at " + target + ": " + st.message()));
      }
      if (ec) {
        if (ec == net::error::eof || ec == net::ssl::error::stream_truncated)
          return fail(make_error("the auth server at " + target + " closed the connection"));
        std::string msg =
            "the connection to the auth server at " + target + " failed: " + detail::describe(ec);
        // TLS 1.3 servers judge our certificate after our handshake completed.
        if (config.credentials && is_client_certificate_alert(ec))
          msg += " (the auth server refused this client's certificate)";
        return fail(make_error(msg));
      }
      start_read();
    });
  }

  static int verify_callback(X509_STORE_CTX* store, void* arg);
  status connect();

  tls_client_config config;
  std::string target;  // "host:port", for messages
  net::io_context ioc;
  detail::ssl_context_ptr ctx;
  net::ssl::stream<tcp::socket> stream;
  frame_decoder decoder;
  std::array<char, 16 * 1024> buf{};
  std::optional<error> closed;
  bool reading = false;
  std::optional<trusted_server> server;  // set by verify_callback
  std::optional<error> verify_error;     // set by verify_callback
};

int tls_client::impl::verify_callback(X509_STORE_CTX* store, void* arg) {
  auto* self = static_cast<impl*>(arg);
  std::vector<x509_certificate> chain;
  if (X509* leaf = X509_STORE_CTX_get0_cert(store)) {
    X509_up_ref(leaf);
    chain.emplace_back(leaf);
  }
  if (STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store)) {
    for (int i = 0; i < sk_X509_num(sent) && i < 16; ++i) {
      X509* c = sk_X509_value(sent, i);
      if (!chain.empty() && X509_cmp(c, chain.front().native()) == 0) continue;
      X509_up_ref(c);
      chain.emplace_back(c);
    }
  }
  auto checked = check_server_chain(chain, self->config.trust);
  if (!checked) {
    self->verify_error = checked.err();
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  self->server = std::move(checked).value();
  return 1;
}

status tls_client::impl::connect() {
  const auto deadline = steady_clock::now() + config.connect_timeout;
  bool done = false;
  boost::system::error_code ec;

  tcp::resolver resolver(ioc);
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(config.host, std::to_string(config.port),
                         [&](const boost::system::error_code& e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                           done = true;
                         });
  if (!run_until([&] { return done; }, deadline)) {
    resolver.cancel();
    abort_pending();
    return make_error("timed out looking up \"" + config.host + "\"");
  }
  if (ec) return make_error("cannot look up \"" + config.host + "\": " + ec.message());

  done = false;
  net::async_connect(stream.lowest_layer(), endpoints,
                     [&](const boost::system::error_code& e, const tcp::endpoint&) {
                       ec = e;
                       done = true;
                     });
  if (!run_until([&] { return done; }, deadline)) {
    abort_pending();
    return make_error("timed out connecting to the auth server at " + target);
  }
  if (ec) return make_error("cannot connect to the auth server at " + target + ": " + ec.message());
  stream.lowest_layer().set_option(tcp::no_delay(true), ec);

  boost::system::error_code parse_ec;
  net::ip::make_address(config.host, parse_ec);
  if (parse_ec)
    SSL_set_tlsext_host_name(stream.native_handle(), config.host.c_str());  // SNI: names only

  done = false;
  stream.async_handshake(net::ssl::stream_base::client, [&](const boost::system::error_code& e) {
    ec = e;
    done = true;
  });
  if (!run_until([&] { return done; }, deadline)) {
    abort_pending();
    return make_error("timed out in the TLS handshake with the auth server at " + target);
  }
  if (ec) {
    abort_pending();
    if (verify_error) return *verify_error;
    return make_error("TLS handshake with the auth server at " + target +
                      " failed: " + detail::describe(ec));
  }
  assert(server.has_value() && "SSL_VERIFY_PEER ran verify_callback");
  if (!server) return make_error("the auth server's certificate was not verified");
  start_read();
  return {};
}

tls_client::tls_client(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

tls_client::~tls_client() {
  if (impl_) impl_->abort_pending();
}

result<std::unique_ptr<tls_client>> tls_client::connect(const tls_client_config& config) {
  if (config.host.empty()) return make_error("no auth server address");
  if (config.connect_timeout.count() <= 0 || config.send_timeout.count() <= 0)
    return make_error("timeouts must be positive");
  tls_client_config cfg = config;
  if (cfg.trust.ca_pin) {
    auto pin = normalize_ca_pin(*cfg.trust.ca_pin);
    if (!pin) return pin.err();
    cfg.trust.ca_pin = std::move(pin).value();
  }
  if (cfg.trust.ca && (cfg.trust.ca->empty() || !cfg.trust.ca->is_ca()))
    return make_error("the configured cluster CA is not a CA certificate");
  if (!cfg.trust.ca && !cfg.trust.ca_pin && !cfg.trust.allow_insecure)
    return make_error(
        "no CA or CA pin to verify the auth server with: pass the CA pin that `tctl status` "
        "prints on the auth server");
  auto ctx = detail::make_client_context(cfg.credentials);
  if (!ctx) return ctx.err();
  auto im = std::make_unique<impl>(cfg, std::move(ctx).value());
  SSL_CTX_set_cert_verify_callback(im->ctx->native_handle(), &impl::verify_callback, im.get());
  if (auto st = im->connect(); !st) return st.err();
  return std::unique_ptr<tls_client>(new tls_client(std::move(im)));
}

status tls_client::send(const frame& f) {
  auto& im = *impl_;
  if (im.closed) return *im.closed;
  char header[frame_header_size];
  if (auto st = encode_frame_header(f, header, im.config.max_frame_payload); !st) return st;
  // Header and payload as two buffers: a large payload is not copied again.
  const std::array<net::const_buffer, 2> bytes{net::buffer(header),
                                               net::buffer(f.payload.data(), f.payload.size())};
  bool done = false;
  boost::system::error_code ec;
  net::async_write(im.stream, bytes, [&](const boost::system::error_code& e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!im.run_until([&] { return done; }, steady_clock::now() + im.config.send_timeout)) {
    im.fail(make_error("timed out sending to the auth server at " + im.target));
    im.abort_pending();
    return *im.closed;
  }
  if (ec) {
    im.fail(
        make_error("cannot send to the auth server at " + im.target + ": " + detail::describe(ec)));
    return *im.closed;
  }
  return {};
}

result<frame> tls_client::receive(std::chrono::milliseconds timeout) {
  auto& im = *impl_;
  const auto deadline = steady_clock::now() + timeout;
  while (true) {
    if (auto f = im.decoder.next()) {
      switch (f->type) {
        case frame_type::message:
          return std::move(*f);
        case frame_type::ping:
          if (auto st = send(frame::make(frame_type::pong, {})); !st) return st.err();
          continue;
        case frame_type::pong:
          continue;
        case frame_type::error:
          im.closed.reset();
          im.fail(make_error("the auth server at " + im.target +
                             " closed the connection: " + std::string(f->text().substr(0, 4096))));
          return *im.closed;
      }
    }
    if (im.closed) return *im.closed;
    im.start_read();
    if (!im.run_until([&] { return im.decoder.ready() > 0 || im.closed.has_value(); }, deadline) &&
        im.decoder.ready() == 0 && !im.closed)
      return make_error("timed out after " + std::to_string(timeout.count()) +
                        " ms waiting for the auth server at " + im.target);
  }
}

void tls_client::close() {
  impl_->fail(make_error("the connection is closed"));
}

bool tls_client::is_open() const {
  return !impl_->closed.has_value();
}

const peer_identity& tls_client::server_identity() const {
  return impl_->server->identity;
}

const std::string& tls_client::server_ca_pin() const {
  return impl_->server->ca_pin;
}

}  // namespace tp::transport
