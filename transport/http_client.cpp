#include "transport/http_client.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <mutex>
#include <optional>

#include "transport/key_files.hpp"
#include "transport/tls_peer.hpp"
#include "transport/x509_openssl.hpp"

namespace tp::transport {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

constexpr std::size_t k_max_idle = 4;           // idle keep-alive connections kept
constexpr std::size_t k_max_pem = 4u << 20;     // CA bundles, certificates and keys
constexpr std::size_t k_max_error_body = 4096;  // of a failed stream's reply, in its error
constexpr milliseconds k_stop_poll{200};

struct endpoint {
  std::string url;   // as configured, for messages
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string authority;  // "host:port" as written, for the Host header
  bool tls = false;
};

result<endpoint> parse_endpoint(const std::string& what, const std::string& url) {
  auto bad = [&](std::string_view why) {
    std::string m = what;
    m.append(" endpoint \"").append(url).append("\": ").append(why);
    return make_error(std::move(m));
  };
  endpoint ep;
  ep.url = url;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    ep.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return bad("the scheme must be http:// or https://");
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos)
    return bad("want scheme://host:port, without a path or user");
  std::string_view host, port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("the [IPv6 address] is not closed");
    host = rest.substr(1, close - 1);
    const auto after = rest.substr(close + 1);
    if (!after.starts_with(':')) return bad("a port is required (host:port)");
    port = after.substr(1);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("a port is required (host:port)");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return bad("write an IPv6 address in brackets: [address]:port");
  }
  if (host.empty()) return bad("the host is empty");
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc{} || end != port.data() + port.size() || number == 0 || number > 65535)
    return bad("the port must be a number from 1 to 65535");
  ep.host = std::string(host);
  ep.port = std::string(port);
  ep.authority = std::string(rest);
  return ep;
}

std::string duration_text(milliseconds t) {
  if (t.count() % 1000 == 0) return std::to_string(t.count() / 1000) + "s";
  return std::to_string(t.count()) + "ms";
}

bool is_http_error(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::end_of_stream).category();
}

// Reads every PEM certificate of `pem`; none, or a damaged one, is an error.
result<std::vector<ossl::x509_ptr>> read_certificates(std::string_view pem) {
  ossl::drain_errors();
  auto bio = ossl::memory_bio(pem);
  std::vector<ossl::x509_ptr> out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  const unsigned long last = ERR_peek_last_error();
  if (ERR_GET_REASON(last) != PEM_R_NO_START_LINE || out.empty())
    return ossl::openssl_error("holds no valid PEM certificate");
  ossl::drain_errors();  // the expected "no start line" at the end
  return out;
}

int no_password(char*, int, int, void*) {
  return 0;
}  // never prompt on a terminal

// Loads the CA bundle, the client certificate and its key into `ctx`, naming the file at fault.
status load_files(SSL_CTX* ctx, const http_client_options& o) {
  auto file_error = [&](std::string_view option, const std::string& path, const std::string& why) {
    std::string m = o.what;
    m.append(" ").append(option).append(" ").append(path).append(": ").append(why);
    return make_error(std::move(m));
  };
  auto read = [&](std::string_view option, const std::string& path) -> result<std::string> {
    auto text = read_small_file(path, k_max_pem);
    if (!text) {
      std::string m = o.what;
      m.append(" ").append(option).append(": ").append(text.message());
      return make_error(std::move(m));
    }
    return text;
  };
  if (o.ca_file.empty()) {
    SSL_CTX_set_default_verify_paths(ctx);
  } else {
    auto pem = read("ca_file", o.ca_file);
    if (!pem) return pem.err();
    auto certs = read_certificates(*pem);
    if (!certs) return file_error("ca_file", o.ca_file, certs.message());
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (auto& c : *certs) {
      if (X509_STORE_add_cert(store, c.get()) != 1) ossl::drain_errors();  // a duplicate
    }
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    return make_error(o.what + ": set both cert_file and key_file for a client certificate, or " +
                      "neither");
  }
  if (o.cert_file.empty()) return {};
  auto cert_pem = read("cert_file", o.cert_file);
  if (!cert_pem) return cert_pem.err();
  auto chain = read_certificates(*cert_pem);
  if (!chain) return file_error("cert_file", o.cert_file, chain.message());
  if (SSL_CTX_use_certificate(ctx, chain->front().get()) != 1)
    return file_error("cert_file", o.cert_file, ossl::openssl_error("cannot be used").message);
  for (std::size_t i = 1; i < chain->size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get()) != 1)
      return file_error("cert_file", o.cert_file,
                        ossl::openssl_error("has an unusable intermediate").message);
  }
  auto key_pem = read("key_file", o.key_file);
  if (!key_pem) return key_pem.err();
  ossl::drain_errors();
  auto bio = ossl::memory_bio(*key_pem);
  ossl::pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  if (!key)
    return file_error("key_file", o.key_file,
                      ossl::openssl_error("holds no unencrypted PEM private key").message);
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ossl::drain_errors();
    return file_error("key_file", o.key_file, "is not the key of cert_file " + o.cert_file);
  }
  return {};
}

// One connection with its own io_context, so that a call runs its steps on its own thread
// without sharing an event loop. Plain-HTTP connections use only the TCP layer of `tls`.
struct connection {
  connection(ssl::context& ctx, std::size_t i, bool t) : tls(ioc, ctx), index(i), use_tls(t) {}
  tcp::socket& socket() { return tls.next_layer(); }

  net::io_context ioc{1};
  ssl::stream<tcp::socket> tls;
  boost::beast::flat_buffer buf;
  std::size_t index = 0;  // into the endpoints
  bool use_tls = false;
  bool broken = false;    // a step was cut short: never reuse
  bool answered = false;  // a reply came over it
};

template <class F>
error_code with_stream(connection& c, F&& f) {
  if (c.use_tls) return f(c.tls);
  return f(c.socket());
}

struct step_limits {
  milliseconds timeout{0};
  bool bounded = true;                      // the timeout applies
  const std::atomic<bool>* stop = nullptr;  // when set, checked every k_stop_poll
};

// Runs one asynchronous step to completion on the connection's io_context (Asio's synchronous
// calls have no timeouts), cancelling it when the timeout passes (timed_out) or *stop turns true
// (operation_aborted).
template <class Start, class Cancel>
error_code run_step(connection& c, const step_limits& lim, Start start, Cancel cancel) {
  bool done = false;
  error_code result;
  start([&](error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  const auto deadline = steady_clock::now() + lim.timeout;
  error_code cut;
  while (!done) {
    if (lim.stop != nullptr && lim.stop->load()) {
      cut = net::error::operation_aborted;
      break;
    }
    steady_clock::duration slice = k_stop_poll;
    if (lim.bounded) {
      const auto left = deadline - steady_clock::now();
      if (left <= steady_clock::duration::zero()) {
        cut = net::error::timed_out;
        break;
      }
      slice = std::min(slice, left);
    }
    c.ioc.restart();
    c.ioc.run_for(slice);
  }
  if (!cut) return result;
  cancel();
  c.ioc.restart();
  c.ioc.run();  // the cancelled operation completes; nothing refers to our locals after
  c.broken = true;
  return cut;
}

template <class Start>
error_code run_io(connection& c, const step_limits& lim, Start start) {
  return run_step(c, lim, start, [&c] {
    error_code ignored;
    c.socket().cancel(ignored);
  });
}

http::request<http::string_body> make_request(const endpoint& ep, const http_client_options& o,
                                              std::string_view target, std::string_view body,
                                              const http_headers& extra = {}) {
  http::request<http::string_body> req{http::verb::post,
                                       boost::beast::string_view(target.data(), target.size()), 11};
  req.set(http::field::host, ep.authority);
  req.set(http::field::user_agent, "teleport");
  req.set(http::field::content_type, o.content_type);
  req.set(http::field::accept, "application/json");
  for (const auto& [name, value] : extra) req.set(name, value);
  if (o.sign) {
    for (const auto& [name, value] : o.sign(ep.authority, target, extra, body)) {
      req.set(name, value);
    }
  }
  req.body().assign(body.data(), body.size());
  req.prepare_payload();
  return req;
}

using stream_parser = http::response_parser<http::buffer_body>;

// Parses what arrives next of the body into `out`: the bytes written and the step's error.
std::pair<std::size_t, error_code> read_piece(connection& c, stream_parser& p,
                                              std::array<char, 16 * 1024>& out,
                                              const step_limits& lim) {
  p.get().body().data = out.data();
  p.get().body().size = out.size();
  auto ec = with_stream(c, [&](auto& s) {
    return run_io(c, lim, [&](auto h) { http::async_read_some(s, c.buf, p, h); });
  });
  if (ec == http::error::need_buffer) ec = {};
  return {out.size() - p.get().body().size, ec};
}

// The outcome of one request on one connection.
struct attempt {
  result<http_reply> reply = make_error("no attempt");
  bool retryable = false;  // nothing of a reply arrived: another connection may succeed
  bool timed_out = false;
  bool keep = false;  // the connection can serve the next request
};

}  // namespace

struct http_client::impl {
  explicit impl(http_client_options opts) : o(std::move(opts)), ctx(ssl::context::tls_client) {}

  std::string peer(const endpoint& ep) const { return o.what + " at " + ep.url; }

  error unreachable(const endpoint& ep, const error_code& ec) const {
    std::string m = peer(ep);
    m += " unreachable: ";
    if (ec == net::error::timed_out) {
      m += "no answer within " + duration_text(o.timeout);
    } else if (ec == net::error::eof || ec == ssl::error::stream_truncated ||
               ec == http::error::end_of_stream) {
      m += "it closed the connection";
    } else if (ec == http::error::partial_message) {
      m += "it closed the connection in the middle of a reply";
    } else if (ec.category() == net::error::get_ssl_category()) {
      m += "TLS error: " + ec.message();
    } else {
      m += ec.message();
    }
    return make_error(std::move(m));
  }

  // `guessed`: no alert arrived, the server just closed a fresh connection.
  error rejected(const endpoint& ep, const error_code& ec, bool guessed = false) const {
    std::string m = peer(ep);
    m += guessed ? " closed the TLS connection before answering: it most likely rejected the "
                   "client certificate ("
                 : " rejected the client certificate (";
    m += ec.message() + "); ";
    if (o.cert_file.empty()) {
      m += "none is configured: set cert_file and key_file";
    } else {
      m += "check that cert_file " + o.cert_file + " is valid and signed by a CA it trusts";
    }
    return make_error(std::move(m));
  }

  // An error of a step after the connection was set up.
  error io_failure(const connection& c, const error_code& ec) const {
    const endpoint& ep = endpoints[c.index];
    // With TLS 1.3 the server judges our certificate after our side of the handshake is done:
    // its alert shows up on the first read.
    if (c.use_tls && is_client_certificate_alert(ec)) return rejected(ep, ec);
    // The alert may also lose the race with the server's reset: a fresh TLS connection
    // closed before any reply is how a server that refuses our certificate looks then.
    if (c.use_tls && !c.answered &&
        (ec == net::error::connection_reset || ec == net::error::eof ||
         ec == ssl::error::stream_truncated)) {
      return rejected(ep, ec, /*guessed=*/true);
    }
    if (ec == http::error::body_limit) {
      return make_error(peer(ep) + " sent a reply larger than " + std::to_string(o.max_body) +
                        " bytes (max_body)");
    }
    if (is_http_error(ec) && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      std::string m = peer(ep);
      m += " sent a malformed HTTP reply: " + ec.message();
      if (!c.use_tls) m += " (if it serves TLS, use https://)";
      return make_error(std::move(m));
    }
    return unreachable(ep, ec);
  }

  error handshake_failure(connection& c, const error_code& ec) const {
    const endpoint& ep = endpoints[c.index];
    const long verify = SSL_get_verify_result(c.tls.native_handle());
    if (!o.insecure && verify != X509_V_OK) {
      std::string m = peer(ep);
      m += ": its TLS certificate is not trusted: ";
      m += X509_verify_cert_error_string(verify);
      if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        m += " (the certificate does not name " + ep.host + ")";
      } else if (o.ca_file.empty()) {
        m += " (set ca_file to the CA that signed it)";
      } else {
        m += " (ca_file " + o.ca_file + " does not hold the CA that signed it)";
      }
      return make_error(std::move(m));
    }
    if (is_client_certificate_alert(ec)) return rejected(ep, ec);
    if (ec.category() == net::error::get_ssl_category()) {
      std::string m = peer(ep);
      m +=
          ": the TLS handshake failed: " + ec.message() + " (if it serves plain HTTP, use http://)";
      return make_error(std::move(m));
    }
    return unreachable(ep, ec);
  }

  error all_failed(const std::vector<std::string>& reasons) const {
    if (reasons.size() == 1) return make_error(reasons.front());
    std::string m = "no " + o.what + " endpoint answered: ";
    for (std::size_t i = 0; i < reasons.size(); ++i) {
      if (i > 0) m += "; ";
      m += reasons[i];
    }
    return make_error(std::move(m));
  }

  // A new connection to endpoints[index]: resolved, connected and, for https, handshaken.
  result<std::unique_ptr<connection>> open(std::size_t index, const step_limits& lim) {
    const endpoint& ep = endpoints[index];
    auto c = std::make_unique<connection>(ctx, index, ep.tls);
    tcp::resolver resolver(c->ioc);
    tcp::resolver::results_type addrs;
    auto ec = run_step(
        *c, lim,
        [&](auto h) {
          resolver.async_resolve(ep.host, ep.port,
                                 [&addrs, h](error_code e, tcp::resolver::results_type r) {
                                   addrs = std::move(r);
                                   h(e);
                                 });
        },
        [&] { resolver.cancel(); });
    if (ec) return unreachable(ep, ec);
    ec = run_io(*c, lim, [&](auto h) { net::async_connect(c->socket(), addrs, h); });
    if (ec) return unreachable(ep, ec);
    // Beast writes the header and the body separately: do not let Nagle hold the body back.
    c->socket().set_option(tcp::no_delay(true), ec);
    if (!ep.tls) return c;
    SSL* native = c->tls.native_handle();
    expect_server_name(native, ep.host, !o.insecure);
    ec = run_io(*c, lim, [&](auto h) { c->tls.async_handshake(ssl::stream_base::client, h); });
    if (ec) return handshake_failure(*c, ec);
    return c;
  }

  attempt exchange(connection& c, std::string_view target, std::string_view body,
                   const http_headers& extra) {
    const step_limits lim{o.timeout};
    attempt out;
    auto req = make_request(endpoints[c.index], o, target, body, extra);
    auto ec = with_stream(
        c, [&](auto& s) { return run_io(c, lim, [&](auto h) { http::async_write(s, req, h); }); });
    if (ec) {
      out.reply = io_failure(c, ec);
      out.retryable = true;  // an incomplete request is never acted on
      out.timed_out = ec == net::error::timed_out;
      return out;
    }
    http::response_parser<http::string_body> p;
    p.body_limit(o.max_body);
    p.header_limit(64 * 1024);
    ec = with_stream(c, [&](auto& s) {
      return run_io(c, lim, [&](auto h) { http::async_read(s, c.buf, p, h); });
    });
    if (ec && !(ec == ssl::error::stream_truncated && p.is_done())) {
      out.reply = io_failure(c, ec);
      out.timed_out = ec == net::error::timed_out;
      // After a timeout the server may still act on the request: no second try.
      out.retryable = !p.got_some() && !out.timed_out;
      return out;
    }
    c.answered = true;
    out.keep = !ec && !c.broken && p.get().keep_alive();
    http_reply reply;
    reply.status = p.get().result_int();
    reply.body = std::move(p.get().body());
    out.reply = std::move(reply);
    return out;
  }

  std::unique_ptr<connection> take_idle() {
    std::lock_guard lock(mu);
    if (idle.empty()) return nullptr;
    auto c = std::move(idle.back());
    idle.pop_back();
    return c;
  }

  void give_back(std::unique_ptr<connection> c) {
    std::lock_guard lock(mu);
    if (idle.size() < k_max_idle) idle.push_back(std::move(c));
    // else c closes when this returns, after the lock is released
  }

  // After a timeout the endpoint may be stuck: start the next call with the next one.
  void demote(std::size_t index) {
    std::size_t expected = index;
    preferred.compare_exchange_strong(expected, (index + 1) % endpoints.size());
  }

  result<http_reply> finish(std::unique_ptr<connection> c, attempt& a) {
    if (a.reply && a.keep) {
      give_back(std::move(c));
    } else if (a.timed_out) {
      demote(c->index);
    }
    return std::move(a.reply);
  }

  result<http_reply> post(std::string_view target, std::string_view body,
                          const http_headers& extra) {
    if (auto c = take_idle()) {
      attempt a = exchange(*c, target, body, extra);
      if (a.reply || !a.retryable) return finish(std::move(c), a);
      // The server closed the idle connection: once more on a fresh one.
    }
    const step_limits lim{o.timeout};
    std::vector<std::string> reasons;
    const std::size_t n = endpoints.size(), first = preferred.load();
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t index = (first + i) % n;
      auto c = open(index, lim);
      if (!c) {
        reasons.push_back(c.message());
        continue;
      }
      attempt a = exchange(**c, target, body, extra);
      if (a.reply) preferred.store(index);
      if (a.reply || !a.retryable) return finish(std::move(*c), a);
      reasons.push_back(a.reply.message());
    }
    return all_failed(reasons);
  }

  status stream(std::string_view target, std::string_view body,
                const std::function<bool(std::string_view)>& on_data,
                const std::atomic<bool>& stop) {
    const step_limits lim{o.timeout, true, &stop};
    const auto stopped = [] { return make_error("stopped"); };
    std::vector<std::string> reasons;
    std::unique_ptr<connection> c;
    std::optional<stream_parser> p;
    const std::size_t n = endpoints.size(), first = preferred.load();
    for (std::size_t i = 0; i < n && !c; ++i) {
      if (stop.load()) return stopped();
      const std::size_t index = (first + i) % n;
      auto opened = open(index, lim);
      if (!opened) {
        if (stop.load()) return stopped();
        reasons.push_back(opened.message());
        continue;
      }
      c = std::move(*opened);
      auto req = make_request(endpoints[index], o, target, body);
      auto ec = with_stream(*c, [&](auto& s) {
        return run_io(*c, lim, [&](auto h) { http::async_write(s, req, h); });
      });
      if (!ec) {
        p.emplace();
        // A watch streams for as long as it likes. (Not boost::none: Beast 1.74 then refuses
        // every body with a Content-Length.)
        p->body_limit(std::numeric_limits<std::uint64_t>::max());
        p->header_limit(64 * 1024);
        ec = with_stream(*c, [&](auto& s) {
          return run_io(*c, lim, [&](auto h) { http::async_read_header(s, c->buf, *p, h); });
        });
      }
      if (ec == net::error::operation_aborted) return stopped();
      // A watch can be asked again: any failure before the headers tries the next endpoint.
      if (ec) {
        reasons.push_back(io_failure(*c, ec).message);
        c.reset();
        continue;
      }
      c->answered = true;
      preferred.store(index);
    }
    if (!c) return all_failed(reasons);

    std::array<char, 16 * 1024> piece{};
    const unsigned code = p->get().result_int();
    if (code / 100 != 2) {
      // The reply says why: read a bounded part of it, each read bounded by the timeout.
      std::string reason;
      while (!p->is_done() && reason.size() < k_max_error_body) {
        auto [got, ec] = read_piece(*c, *p, piece, step_limits{o.timeout});
        reason.append(piece.data(), got);
        if (ec) break;
      }
      if (reason.size() > k_max_error_body) reason.resize(k_max_error_body);
      while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r')) reason.pop_back();
      std::string m = peer(endpoints[c->index]);
      m += " answered HTTP " + std::to_string(code) + " to " + std::string(target);
      if (!reason.empty()) m += ": " + reason;
      return make_error(std::move(m));
    }
    const step_limits body_lim{o.timeout, false, &stop};
    while (!p->is_done()) {
      auto [got, ec] = read_piece(*c, *p, piece, body_lim);
      if (got > 0 && !on_data(std::string_view(piece.data(), got))) return {};
      if (ec == net::error::operation_aborted) return stopped();
      if (ec && !(ec == ssl::error::stream_truncated && p->is_done())) return io_failure(*c, ec);
    }
    return {};
  }

  http_client_options o;
  std::vector<endpoint> endpoints;
  ssl::context ctx;
  std::atomic<std::size_t> preferred{0};  // the endpoint tried first
  std::mutex mu;
  std::vector<std::unique_ptr<connection>> idle;  // guarded by mu
};

result<std::shared_ptr<http_client>> http_client::create(http_client_options o) {
  if (o.endpoints.empty()) return make_error("no " + o.what + " endpoints are configured");
  std::vector<endpoint> endpoints;
  for (const auto& url : o.endpoints) {
    auto ep = parse_endpoint(o.what, url);
    if (!ep) return ep.err();
    endpoints.push_back(std::move(*ep));
  }
  if (o.timeout <= milliseconds::zero())
    return make_error(o.what + ": the timeout must be positive");
  const std::string what = o.what;
  std::unique_ptr<impl> i;
  try {
    i = std::make_unique<impl>(std::move(o));
  } catch (const std::exception& e) {
    // Asio reports a failure to create the TLS context by exception only.
    return make_error(what + ": cannot set up TLS: " + e.what());
  }
  i->endpoints = std::move(endpoints);
  SSL_CTX* native = i->ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_verify(native, i->o.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  if (auto st = load_files(native, i->o); !st) return st.err();
  return std::shared_ptr<http_client>(new http_client(std::move(i)));
}

http_client::http_client(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
http_client::~http_client() = default;

result<http_reply> http_client::post(std::string_view target, std::string_view body,
                                     const http_headers& extra) {
  return impl_->post(target, body, extra);
}

status http_client::stream(std::string_view target, std::string_view body,
                           const std::function<bool(std::string_view)>& on_data,
                           const std::atomic<bool>& stop) {
  return impl_->stream(target, body, on_data, stop);
}

}  // namespace tp::transport
