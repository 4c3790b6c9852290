#include "transport/http_client.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "x509_test_util.hpp"

using namespace tp::transport;
using namespace tp::transport::test;
using namespace std::chrono_literals;

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using steady = std::chrono::steady_clock;

// A small HTTP/1.1 server on 127.0.0.1 with a thread per connection. Targets:
//   /echo     200 with the request body (keep-alive)
//   /fail     500 {"error":"boom"}
//   /once     200, then closes the connection although the reply allowed keep-alive
//   /stream   chunked "one", "two", "three" with pauses, then the end of the body
//   /forever  a chunk "tick" every 50 ms until the client goes away (at most 10 s)
//   /hang     never answers
class test_server {
 public:
  explicit test_server(ssl::context* tls = nullptr)
      : tls_(tls), acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~test_server() {
    stopping_ = true;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes the blocked accept
    accept_thread_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);  // wakes blocked reads
    }
    for (auto& t : workers_) t.join();
  }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  std::string url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return accepted_.load(); }

 private:
  void accept_loop() {
    while (!stopping_) {
      tcp::socket s(ioc_);
      error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stopping_) return;
      ++accepted_;
      std::lock_guard lock(mu_);
      fds_.push_back(s.native_handle());
      workers_.emplace_back([this, s = std::move(s)]() mutable { serve(std::move(s)); });
    }
  }

  void serve(tcp::socket s) {
    const int fd = s.native_handle();
    if (tls_) {
      ssl::stream<tcp::socket> stream(std::move(s), *tls_);
      error_code ec;
      stream.handshake(ssl::stream_base::server, ec);
      if (!ec) handle(stream);
      forget(fd);
    } else {
      handle(s);
      forget(fd);
    }
  }

  // Before the socket closes, so that the destructor never shuts down a reused descriptor.
  void forget(int fd) {
    std::lock_guard lock(mu_);
    fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
  }

  template <class Stream>
  static bool reply(Stream& s, http::status code, const std::string& body) {
    http::response<http::string_body> res{code, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = body;
    res.prepare_payload();
    error_code ec;
    http::write(s, res, ec);
    return !ec;
  }

  template <class Stream>
  static bool raw(Stream& s, const std::string& text) {
    error_code ec;
    net::write(s, net::buffer(text), ec);
    return !ec;
  }

  static std::string chunk(const std::string& data) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string out = size;
    out.append(data).append("\r\n");
    return out;
  }

  template <class Stream>
  void handle(Stream& s) {
    const std::string chunked_header =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    boost::beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      error_code ec;
      http::read(s, buf, req, ec);
      if (ec || stopping_) return;
      const std::string target(req.target());
      if (target == "/echo") {
        if (!reply(s, http::status::ok, req.body())) return;
      } else if (target == "/fail") {
        if (!reply(s, http::status::internal_server_error, R"({"error":"boom"})")) return;
      } else if (target == "/once") {
        reply(s, http::status::ok, "once");
        return;
      } else if (target == "/stream") {
        if (!raw(s, chunked_header)) return;
        for (const char* piece : {"one", "two", "three"}) {
          if (!raw(s, chunk(piece))) return;
          std::this_thread::sleep_for(50ms);
        }
        if (!raw(s, "0\r\n\r\n")) return;
      } else if (target == "/forever") {
        if (!raw(s, chunked_header)) return;
        for (int i = 0; i < 200 && !stopping_; ++i) {
          if (!raw(s, chunk("tick"))) return;
          std::this_thread::sleep_for(50ms);
        }
        return;
      } else if (target != "/hang") {
        if (!reply(s, http::status::not_found, "{}")) return;
      }
    }
  }

  ssl::context* tls_;
  net::io_context ioc_;  // never run: the server uses synchronous calls only
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<int> fds_;              // open connections, guarded by mu_
  std::vector<std::thread> workers_;  // guarded by mu_ until accept_thread_ ended
  std::thread accept_thread_;
};

// A port nothing listens on (bound, read back, closed).
std::string dead_url() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return "http://127.0.0.1:" + std::to_string(a.local_endpoint().port());
}

std::shared_ptr<http_client> client_for(std::vector<std::string> endpoints,
                                        std::chrono::milliseconds timeout = 2s) {
  http_client_options o;
  o.endpoints = std::move(endpoints);
  o.timeout = timeout;
  o.what = "etcd";
  auto c = http_client::create(std::move(o));
  REQUIRE(c.ok());
  return *c;
}

// A CA, a server certificate for 127.0.0.1 and a client certificate from it, and a second CA
// with its own client certificate, made with openssl(1).
struct test_pki {
  temp_dir dir;
  std::string ca1 = dir.path("ca1.pem"), ca2 = dir.path("ca2.pem");
  std::string server_cert = dir.path("server.pem"), server_key = dir.path("server.key");
  std::string client_cert = dir.path("client.pem"), client_key = dir.path("client.key");
  std::string other_cert = dir.path("other.pem"), other_key = dir.path("other.key");

  test_pki() {
    make_ca("ca1");
    make_ca("ca2");
    issue("ca1", "server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    issue("ca1", "client", "extendedKeyUsage=clientAuth\n");
    issue("ca2", "other", "extendedKeyUsage=clientAuth\n");
  }

  void make_ca(const std::string& name) {
    auto r =
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
            "-subj /CN=" +
            name + " -keyout " + dir.path(name + ".key") + " -out " + dir.path(name + ".pem"));
    REQUIRE(r.status == 0);
  }

  void issue(const std::string& ca, const std::string& name, const std::string& ext) {
    const auto csr = dir.path(name + ".csr");
    auto r = run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" +
                 name + " -keyout " + dir.path(name + ".key") + " -out " + csr);
    REQUIRE(r.status == 0);
    const auto ext_file = dir.file(name + ".ext", ext);
    r = run("openssl x509 -req -in " + csr + " -CA " + dir.path(ca + ".pem") + " -CAkey " +
            dir.path(ca + ".key") + " -CAcreateserial -days 1 -extfile " + ext_file + " -out " +
            dir.path(name + ".pem"));
    REQUIRE(r.status == 0);
  }

  // Serves server.pem and requires a client certificate from ca1.
  std::unique_ptr<ssl::context> server_context(bool tls12_only = false) const {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    ctx->use_certificate_chain_file(server_cert);
    ctx->use_private_key_file(server_key, ssl::context::pem);
    ctx->load_verify_file(ca1);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    if (tls12_only) SSL_CTX_set_max_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    return ctx;
  }

  http_client_options client_options(const test_server& s) const {
    http_client_options o;
    o.endpoints = {s.url()};
    o.ca_file = ca1;
    o.cert_file = client_cert;
    o.key_file = client_key;
    o.timeout = 2s;
    o.what = "etcd";
    return o;
  }
};

const test_pki& shared_test_pki() {
  static const test_pki p;
  return p;
}

}  // namespace

TEST_CASE("http_client posts JSON over one keep-alive connection", "[http_client]") {
  test_server server;
  auto client = client_for({server.url()});
  for (int i = 0; i < 5; ++i) {
    const std::string body = R"({"key":")" + std::to_string(i) + R"("})";
    auto r = client->post("/echo", body);
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body == body);
  }
  CHECK(server.connections() == 1);
}

TEST_CASE("http_client returns an HTTP error status as a reply", "[http_client]") {
  test_server server;
  auto client = client_for({server.url()});
  auto r = client->post("/fail", "{}");
  REQUIRE(r.ok());
  CHECK(r->status == 500);
  CHECK(r->body == R"({"error":"boom"})");
  // The connection survives a 500.
  REQUIRE(client->post("/echo", "{}").ok());
  CHECK(server.connections() == 1);
}

TEST_CASE("http_client is safe to share between threads", "[http_client]") {
  test_server server;
  auto client = client_for({server.url()});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string body = std::to_string(t * 100 + i);
        auto r = client->post("/echo", body);
        if (r.ok() && r->status == 200 && r->body == body) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 40);
  CHECK(server.connections() <= 4);  // each thread holds one connection at a time
}

TEST_CASE("http_client retries on a fresh connection when the server closed an idle one",
          "[http_client]") {
  test_server server;
  auto client = client_for({server.url()});
  auto first = client->post("/once", "{}");
  REQUIRE(first.ok());
  CHECK(first->body == "once");
  std::this_thread::sleep_for(50ms);  // the server has closed the pooled connection by now
  auto second = client->post("/echo", "again");
  REQUIRE(second.ok());
  CHECK(second->body == "again");
  CHECK(server.connections() == 2);
}

TEST_CASE("http_client fails over to the next endpoint", "[http_client]") {
  test_server server;
  const std::string dead = dead_url();
  auto client = client_for({dead, server.url()});
  auto r = client->post("/echo", "x");
  REQUIRE(r.ok());
  CHECK(r->body == "x");

  const std::string dead2 = dead_url();
  auto none = client_for({dead, dead2})->post("/echo", "x");
  REQUIRE_FALSE(none.ok());
  CHECK_THAT(none.message(), Catch::Contains("etcd at " + dead + " unreachable"));
  CHECK_THAT(none.message(), Catch::Contains("etcd at " + dead2 + " unreachable"));
  CHECK_THAT(none.message(), Catch::Contains("refused"));
}

TEST_CASE("http_client bounds a request that gets no answer", "[http_client]") {
  test_server server;
  auto client = client_for({server.url()}, 300ms);
  const auto start = steady::now();
  auto r = client->post("/hang", "{}");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("unreachable: no answer within 300ms"));
  CHECK(steady::now() - start < 2s);
}

TEST_CASE("http_client refuses bad endpoints", "[http_client]") {
  auto make = [](std::string url) {
    http_client_options o;
    o.endpoints = {std::move(url)};
    o.what = "etcd";
    return http_client::create(std::move(o));
  };
  auto scheme = make("ftp://127.0.0.1:2379");
  REQUIRE_FALSE(scheme.ok());
  CHECK_THAT(scheme.message(), Catch::Contains("scheme must be http:// or https://"));
  auto no_port = make("http://127.0.0.1");
  REQUIRE_FALSE(no_port.ok());
  CHECK_THAT(no_port.message(), Catch::Contains("port is required"));
  auto path = make("http://127.0.0.1:2379/v3");
  REQUIRE_FALSE(path.ok());
  CHECK_THAT(path.message(), Catch::Contains("without a path"));
  auto bad_port = make("https://etcd:99999");
  REQUIRE_FALSE(bad_port.ok());
  CHECK_THAT(bad_port.message(), Catch::Contains("1 to 65535"));
  CHECK(make("https://[::1]:2379/").ok());
}

TEST_CASE("http_client streams chunked bodies piece by piece", "[http_client]") {
  test_server server;
  auto client = client_for({server.url()});
  std::atomic<bool> stop{false};

  std::vector<std::string> pieces;
  auto st = client->stream(
      "/stream", "{}",
      [&](std::string_view d) {
        pieces.emplace_back(d);
        return true;
      },
      stop);
  REQUIRE(st.ok());
  CHECK(pieces == std::vector<std::string>{"one", "two", "three"});

  // on_data ends the stream.
  int ticks = 0;
  st = client->stream(
      "/forever", "{}", [&](std::string_view) { return ++ticks < 2; }, stop);
  REQUIRE(st.ok());
  CHECK(ticks == 2);

  // A non-2xx status is an error carrying it.
  st = client->stream(
      "/fail", "{}", [](std::string_view) { return true; }, stop);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("answered HTTP 500 to /fail: {\"error\":\"boom\"}"));
}

TEST_CASE("http_client stream ends soon after stop", "[http_client]") {
  test_server server;
  auto client = client_for({server.url()});
  std::atomic<bool> stop{false};
  std::atomic<int> ticks{0};
  steady::time_point stopped_at{};
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stopped_at = steady::now();
    stop = true;
  });
  auto st = client->stream(
      "/forever", "{}",
      [&](std::string_view) {
        ++ticks;
        return true;
      },
      stop);
  const auto ended = steady::now();
  stopper.join();
  REQUIRE_FALSE(st.ok());
  CHECK(st.message() == "stopped");
  CHECK(ticks > 0);
  CHECK(ended - stopped_at < 1s);

  // Also while waiting for a reply that never comes.
  stop = false;
  std::thread stopper2([&] {
    std::this_thread::sleep_for(100ms);
    stop = true;
  });
  const auto start = steady::now();
  st = client->stream(
      "/hang", "{}", [](std::string_view) { return true; }, stop);
  stopper2.join();
  REQUIRE_FALSE(st.ok());
  CHECK(st.message() == "stopped");
  CHECK(steady::now() - start < 1s);
}

TEST_CASE("http_client speaks mutual TLS", "[http_client]") {
  const auto& pki = shared_test_pki();
  auto ctx = pki.server_context();
  test_server server(ctx.get());

  SECTION("with the right client certificate") {
    auto client = http_client::create(pki.client_options(server));
    REQUIRE(client.ok());
    for (int i = 0; i < 3; ++i) {
      auto r = (*client)->post("/echo", "secure");
      REQUIRE(r.ok());
      CHECK(r->body == "secure");
    }
    std::atomic<bool> stop{false};
    std::string got;
    auto st = (*client)->stream(
        "/stream", "{}",
        [&](std::string_view d) {
          got += d;
          return true;
        },
        stop);
    REQUIRE(st.ok());
    CHECK(got == "onetwothree");
    CHECK(server.connections() == 2);  // the pool and the stream's own
  }
  SECTION("with a client certificate from another CA") {
    auto o = pki.client_options(server);
    o.cert_file = pki.other_cert;
    o.key_file = pki.other_key;
    auto r = http_client::create(o).value()->post("/echo", "x");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(),
               Catch::Contains("etcd at " + server.url() + " rejected the client certificate"));
  }
  SECTION("without a client certificate") {
    auto o = pki.client_options(server);
    o.cert_file.clear();
    o.key_file.clear();
    auto r = http_client::create(o).value()->post("/echo", "x");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains("rejected the client certificate"));
    CHECK_THAT(r.message(), Catch::Contains("set cert_file and key_file"));
  }
  SECTION("a server certificate that ca_file does not trust") {
    auto o = pki.client_options(server);
    o.ca_file = pki.ca2;
    auto r = http_client::create(o).value()->post("/echo", "x");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(),
               Catch::Contains("etcd at " + server.url() + ": its TLS certificate is not trusted"));
    o.insecure = true;
    auto accepted = http_client::create(o).value()->post("/echo", "x");
    REQUIRE(accepted.ok());
    CHECK(accepted->body == "x");
  }
}

TEST_CASE("http_client names a rejected client certificate with TLS 1.2 too", "[http_client]") {
  const auto& pki = shared_test_pki();
  auto ctx = pki.server_context(true);
  test_server server(ctx.get());
  auto o = pki.client_options(server);
  o.cert_file = pki.other_cert;
  o.key_file = pki.other_key;
  auto r = http_client::create(o).value()->post("/echo", "x");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("rejected the client certificate"));
  o = pki.client_options(server);
  REQUIRE(http_client::create(o).value()->post("/echo", "x").ok());
}

TEST_CASE("http_client::create names unusable certificate files", "[http_client]") {
  const auto& pki = shared_test_pki();
  http_client_options base;
  base.endpoints = {"https://127.0.0.1:2379"};
  base.ca_file = pki.ca1;
  base.cert_file = pki.client_cert;
  base.key_file = pki.client_key;
  base.what = "etcd";
  REQUIRE(http_client::create(base).ok());

  auto o = base;
  o.cert_file = pki.dir.path("missing.pem");
  auto missing = http_client::create(o);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.message(), Catch::Contains("cert_file"));
  CHECK_THAT(missing.message(), Catch::Contains(o.cert_file));

  o = base;
  o.ca_file = pki.dir.file("garbage.pem", "not a certificate\n");
  auto garbage = http_client::create(o);
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(garbage.message(), Catch::Contains("ca_file " + o.ca_file));

  o = base;
  o.key_file = pki.other_key;
  auto mismatch = http_client::create(o);
  REQUIRE_FALSE(mismatch.ok());
  CHECK_THAT(mismatch.message(), Catch::Contains("is not the key of cert_file"));

  o = base;
  o.key_file.clear();
  REQUIRE_FALSE(http_client::create(o).ok());
}
