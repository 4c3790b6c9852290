#include "transport/web_client.hpp"

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include "transport/tls_peer.hpp"

namespace tp::transport {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t k_max_body = 1 << 20;

// Runs one asynchronous operation to completion, cancelling it when the deadline passes,
// so that every step of a request is bounded (Asio's synchronous calls have no timeouts).
class deadline_runner {
 public:
  deadline_runner(net::io_context& ioc, std::chrono::milliseconds t) : ioc_(ioc), t_(t) {}

  template <class Start, class Cancel>
  error_code run(Start start, Cancel cancel) {
    bool done = false;
    error_code result;
    start([&](error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc_.restart();
    ioc_.run_for(t_);
    if (!done) {
      cancel();
      ioc_.restart();
      ioc_.run();
      return net::error::timed_out;
    }
    return result;
  }

 private:
  net::io_context& ioc_;
  std::chrono::milliseconds t_;
};

std::string seconds_of(std::chrono::milliseconds t) {
  return std::to_string((t.count() + 999) / 1000) + "s";
}

error unreachable(const web_endpoint& ep, const error_code& ec) {
  if (ec == net::error::timed_out) {
    return make_error("cannot reach the proxy at " + ep.to_string() + ": no answer within " +
                      seconds_of(ep.timeout));
  }
  return make_error("cannot reach the proxy at " + ep.to_string() + ": " + ec.message());
}

template <class Stream>
result<web_response> exchange(deadline_runner& run, Stream& stream, tcp::socket& sock,
                              const web_endpoint& ep, std::string_view method,
                              std::string_view target, std::string_view json_body) {
  auto cancel = [&] {
    error_code ignored;
    sock.cancel(ignored);
  };
  const std::string target_text(target);
  http::request<http::string_body> req{method == "POST" ? http::verb::post : http::verb::get,
                                       target_text, 11};
  req.set(http::field::host, ep.to_string());
  req.set(http::field::user_agent, ep.user_agent);
  req.set(http::field::accept, "application/json");
  req.set(http::field::connection, "close");
  if (!json_body.empty() || method == "POST") {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(json_body);
  }
  req.prepare_payload();
  if (auto ec = run.run([&](auto h) { http::async_write(stream, req, h); }, cancel)) {
    return unreachable(ep, ec);
  }
  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(k_max_body);
  parser.header_limit(64 * 1024);
  auto ec = run.run([&](auto h) { http::async_read(stream, buf, parser, h); }, cancel);
  if (ec && !(ec == ssl::error::stream_truncated && parser.is_done())) {
    if (ec == http::error::body_limit) {
      return make_error("the proxy at " + ep.to_string() + " sent a response larger than 1 MiB");
    }
    if (ec == net::error::timed_out || ec == net::error::eof || ec == http::error::end_of_stream ||
        ec == net::error::connection_reset) {
      return unreachable(ep, ec);
    }
    return make_error("the proxy at " + ep.to_string() +
                      " sent a malformed HTTP response: " + ec.message());
  }
  web_response out;
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  return out;
}

}  // namespace

std::string web_endpoint::to_string() const {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                             : host + ":" + std::to_string(port);
}

result<web_response> web_request(const web_endpoint& ep, std::string_view method,
                                 std::string_view target, std::string_view json_body) {
  try {
    net::io_context ioc;
    deadline_runner run(ioc, ep.timeout);
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    error_code ec;
    // Through a CONNECT proxy the name is the proxy's to resolve.
    if (!ep.via)
      ec = run.run(
          [&](auto h) {
            resolver.async_resolve(ep.host, std::to_string(ep.port),
                                   [&endpoints, h](error_code e, tcp::resolver::results_type r) {
                                     endpoints = std::move(r);
                                     h(e);
                                   });
          },
          [&] { resolver.cancel(); });
    if (ec) return unreachable(ep, ec);

    ssl::context ctx(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    if (ep.insecure) {
      ctx.set_verify_mode(ssl::verify_none);
    } else {
      ctx.set_default_verify_paths();
      ctx.set_verify_mode(ssl::verify_peer);
    }
    ssl::stream<tcp::socket> tls(ioc, ctx);
    tcp::socket& sock = tls.next_layer();
    auto cancel = [&] {
      error_code ignored;
      sock.cancel(ignored);
    };
    if (ep.via) {
      // CONNECT is a short blocking exchange, bounded by the same per-step timeout.
      auto fd = dial_tcp(ep.host, ep.port, ep.timeout, ep.via);
      if (!fd)
        return make_error("cannot reach the proxy at " + ep.to_string() + ": " + fd.message());
      sockaddr_storage local{};
      socklen_t len = sizeof local;
      ::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&local), &len);
      sock.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd->release(), ec);
      if (ec) return unreachable(ep, ec);
    } else {
      ec = run.run([&](auto h) { net::async_connect(sock, endpoints, h); }, cancel);
      if (ec) return unreachable(ep, ec);
    }
    if (!ep.tls) return exchange(run, sock, sock, ep, method, target, json_body);

    SSL* native = tls.native_handle();
    expect_server_name(native, ep.host, !ep.insecure);
    ec = run.run([&](auto h) { tls.async_handshake(ssl::stream_base::client, h); }, cancel);
    if (ec) {
      const long verify = SSL_get_verify_result(native);
      if (!ep.insecure && verify != X509_V_OK) {
        return make_error(
            "the proxy's TLS certificate is not trusted (use --insecure for a self-signed test "
            "proxy): " +
            std::string(X509_verify_cert_error_string(verify)));
      }
      if (ec == net::error::timed_out || ec == net::error::eof ||
          ec == net::error::connection_reset) {
        return unreachable(ep, ec);
      }
      return make_error(
          "TLS handshake with the proxy at " + ep.to_string() + " failed: " + ec.message() +
          " (if it serves plain HTTP, use --proxy=http://" + ep.to_string() + " --insecure)");
    }
    return exchange(run, tls, sock, ep, method, target, json_body);
  } catch (const std::exception& e) {
    // Asio reports a few setup failures (context creation) by exception only.
    return make_error("cannot talk to the proxy at " + ep.to_string() + ": " + e.what());
  }
}

std::string error_message_of(std::string_view body) {
  try {
    const auto j = nlohmann::json::parse(body);
    if (j.is_object() && j.contains("error")) {
      const auto& e = j.at("error");
      if (e.is_object() && e.contains("message") && e.at("message").is_string()) {
        return e.at("message").get<std::string>();
      }
      if (e.is_string()) return e.get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
  }
  return {};
}

namespace {

result<nlohmann::json> as_json(const web_endpoint& ep, std::string_view target,
                               result<web_response> r) {
  if (!r) return r.err();
  std::string message = error_message_of(r->body);
  const std::string code = "HTTP " + std::to_string(r->status);
  if (message.empty()) message = code + " from " + std::string(target);
  switch (r->status) {
    case 200:
    case 201:
      break;
    case 401:
    case 403:
      return make_error("access denied: " + message);
    case 429:
      if (message.find("too many") == std::string::npos) {
        message += " (too many failed attempts; try again later)";
      }
      return make_error("access denied: " + message);
    default:
      return make_error("the proxy at " + ep.to_string() + " answered " + code + ": " + message);
  }
  try {
    return nlohmann::json::parse(r->body);
  } catch (const nlohmann::json::exception& e) {
    return make_error("the proxy at " + ep.to_string() + " sent invalid JSON for " +
                      std::string(target) + ": " + e.what());
  }
}

}  // namespace

result<nlohmann::json> get_json(const web_endpoint& ep, std::string_view target) {
  return as_json(ep, target, web_request(ep, "GET", target));
}

result<nlohmann::json> post_json(const web_endpoint& ep, std::string_view target,
                                 const nlohmann::json& body) {
  return as_json(ep, target, web_request(ep, "POST", target, body.dump()));
}

}  // namespace tp::transport
