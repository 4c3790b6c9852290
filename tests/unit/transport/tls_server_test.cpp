#include "transport/tls_server.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "tls_test_util.hpp"

using namespace tp::transport;
using namespace tp::transport::test;
using namespace std::chrono_literals;

namespace {

// A plain TCP connection to the server (no TLS), for handshake abuse.
int raw_connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace

TEST_CASE("a client with a valid certificate is identified and echoed", "[tls]") {
  recorder rec;
  auto server = start(rec);
  auto client = connect(client_config(server->port()));
  CHECK(client->server_identity().name == "auth-1");
  CHECK(client->server_identity().has_role("auth"));
  CHECK(client->server_ca_pin() == ca_pin(shared_pki().ca.cert));

  for (std::string payload : std::vector<std::string>{"one", "", std::string(100000, 'x')}) {
    REQUIRE(client->send(frame::message(payload)).ok());
    auto echo = client->receive(5s);
    REQUIRE(echo.ok());
    CHECK(echo->text() == payload);
  }
  REQUIRE(rec.wait([](auto& r) { return r.connects.size() == 1; }));
  {
    std::lock_guard lock(rec.mu);
    REQUIRE(rec.connects[0].has_value());
    CHECK(rec.connects[0]->name == "node-1");
    CHECK(rec.connects[0]->roles == std::vector<std::string>{"node"});
    CHECK(rec.connects[0]->cluster == "example.com");
    CHECK(rec.conns[0]->identity() == rec.connects[0]);
    CHECK_THAT(rec.conns[0]->remote_address(), Catch::StartsWith("127.0.0.1:"));
  }
  // The server may push frames from any thread.
  connection_ptr conn;
  {
    std::lock_guard lock(rec.mu);
    conn = rec.conns[0];
  }
  std::thread([&] { CHECK(conn->send(frame::message("pushed")).ok()); }).join();
  CHECK(client->receive(5s).value().text() == "pushed");

  client->close();
  CHECK_FALSE(client->is_open());
  CHECK_FALSE(client->send(frame::message("late")).ok());
  REQUIRE(rec.wait([](auto& r) { return r.closes.size() == 1; }));
  {
    std::lock_guard lock(rec.mu);
    CHECK(rec.closes[0].ok());  // an orderly hang-up between frames
  }
  CHECK_FALSE(conn->send(frame::message("after close")).ok());
}

TEST_CASE("client certificates from another CA or expired are refused", "[tls]") {
  recorder rec;
  auto server = start(rec);
  pki other;  // same cluster name, different CA key
  auto now = std::chrono::system_clock::now();
  auto req = leaf("node-1", {"node"});
  req.not_before = now - 2h;
  req.not_after = now - 1h;
  auto expired = issue_credentials(shared_pki().ca, req).value();

  for (const auto& [creds, needle] :
       {std::pair{other.node, "unable to get local issuer"}, std::pair{expired, "expired"}}) {
    auto cfg = client_config(server->port());
    cfg.credentials = creds;
    // With TLS 1.3 the client finishes its side first; the refusal then shows
    // up on the first read. Either way no frame gets through.
    auto client = tls_client::connect(cfg);
    if (client.ok()) {
      (void)(*client)->send(frame::message("hello"));
      auto r = (*client)->receive(5s);
      REQUIRE_FALSE(r.ok());
      CHECK_THAT(r.message(), Catch::Contains("refused this client's certificate"));
    }
  }
  REQUIRE(rec.wait([](auto& r) { return r.rejects.size() == 2; }));
  std::lock_guard lock(rec.mu);
  CHECK(rec.connects.empty());
  CHECK(rec.frames.empty());
  CHECK_THAT(rec.rejects[0], Catch::Contains("unable to get local issuer"));
  CHECK_THAT(rec.rejects[1], Catch::Contains("expired"));
}

TEST_CASE("a CA-signed certificate without a role is refused with a reason", "[tls]") {
  recorder rec;
  auto server = start(rec);
  const pki& p = shared_pki();
  temp_dir dir;
  auto ca_cert = dir.file("ca.pem", pem(p.ca.cert));
  auto ca_key = dir.file("ca.key", p.ca.key.to_pem().value());
  auto key = dir.path("k.pem"), csr = dir.path("r.csr"), crt = dir.path("c.pem");
  REQUIRE(run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + key +
              " -out " + csr + " -subj /CN=nobody")
              .status == 0);
  REQUIRE(run("openssl x509 -req -in " + csr + " -CA " + ca_cert + " -CAkey " + ca_key +
              " -CAcreateserial -days 1 -out " + crt)
              .status == 0);
  auto creds = credentials_from_pem(run("cat " + crt).out, run("cat " + key).out);
  REQUIRE(creds.ok());
  auto cfg = client_config(server->port());
  cfg.credentials = *creds;
  auto client = connect(cfg);
  auto r = client->receive(5s);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("no usable identity"));
  REQUIRE(rec.wait([](auto& r) { return r.rejects.size() == 1; }));
  std::lock_guard lock(rec.mu);
  CHECK(rec.connects.empty());
}

TEST_CASE("an oversize frame closes the connection with an error", "[tls]") {
  recorder rec;
  auto cfg = server_config();
  cfg.max_frame_payload = 1024;
  auto server = start(rec, cfg);
  auto client = connect(client_config(server->port()));
  REQUIRE(client->send(frame::message(std::string(1024, 'a'))).ok());
  CHECK(client->receive(5s).value().payload.size() == 1024);
  (void)client->send(frame::message(std::string(4096, 'a')));
  auto r = client->receive(5s);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("4096 bytes exceeds the maximum of 1024"));
  CHECK_FALSE(client->is_open());
  REQUIRE(rec.wait([](auto& r) { return r.closes.size() == 1; }));
  std::lock_guard lock(rec.mu);
  REQUIRE_FALSE(rec.closes[0].ok());
  CHECK_THAT(rec.closes[0].message(), Catch::Contains("exceeds the maximum"));
  CHECK(rec.frames.size() == 1);
}

TEST_CASE("server-side sends enforce the frame limit", "[tls]") {
  recorder rec;
  auto cfg = server_config();
  cfg.max_frame_payload = 16;
  auto server = start(rec, cfg);
  rec.echo = false;
  auto client = connect(client_config(server->port()));
  REQUIRE(rec.wait([](auto& r) { return r.conns.size() == 1; }));
  std::lock_guard lock(rec.mu);
  auto st = rec.conns[0]->send(frame::message(std::string(17, 'a')));
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("exceeds the maximum of 16"));
}

TEST_CASE("many concurrent clients are echoed correctly", "[tls]") {
  recorder rec;
  auto server = start(rec);
  constexpr int clients = 50;
  constexpr int rounds = 5;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      auto cfg = client_config(server->port());
      if (i % 2 == 1) {  // half of them join with a pin
        cfg.credentials.reset();
        cfg.trust.ca.reset();
        cfg.trust.ca_pin = ca_pin(shared_pki().ca.cert);
      }
      auto c = tls_client::connect(cfg);
      if (!c) return;
      int ok = 0;
      for (int k = 0; k < rounds; ++k) {
        std::string payload = "client " + std::to_string(i) + " round " + std::to_string(k);
        if (!(*c)->send(frame::message(payload))) break;
        auto echo = (*c)->receive(10s);
        if (echo && echo->text() == payload) ++ok;
      }
      if (ok == rounds) ++good;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(good == clients);
  REQUIRE(rec.wait([](auto& r) { return r.closes.size() == clients; }, 10s));
  std::lock_guard lock(rec.mu);
  CHECK(rec.frames.size() == clients * rounds);
  int identified = 0;
  for (const auto& id : rec.connects) identified += id.has_value() ? 1 : 0;
  CHECK(identified == clients / 2);
}

TEST_CASE("stop() with clients connected returns promptly and closes them", "[tls]") {
  recorder rec;
  auto server = start(rec);
  std::vector<std::unique_ptr<tls_client>> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(connect(client_config(server->port())));
  REQUIRE(rec.wait([](auto& r) { return r.connects.size() == 5; }));
  auto t0 = std::chrono::steady_clock::now();
  server->stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(server->connection_count() == 0);
  server->stop();  // idempotent
  {
    std::lock_guard lock(rec.mu);
    REQUIRE(rec.closes.size() == 5);
    for (const auto& why : rec.closes) CHECK_THAT(why.message(), Catch::Contains("stopping"));
  }
  for (auto& c : clients) CHECK_FALSE(c->receive(5s).ok());
  // The connection objects outlive the server safely.
  std::lock_guard lock(rec.mu);
  CHECK_FALSE(rec.conns[0]->send(frame::message("x")).ok());
  server.reset();
  rec.conns.clear();
}

TEST_CASE("idle connections are closed, pings keep them alive", "[tls]") {
  recorder rec;
  auto cfg = server_config();
  cfg.idle_timeout = 300ms;
  auto server = start(rec, cfg);
  auto pinging = connect(client_config(server->port()));
  auto idle = connect(client_config(server->port()));
  for (int i = 0; i < 8; ++i) {
    REQUIRE(pinging->send(frame::make(frame_type::ping, "")).ok());
    std::this_thread::sleep_for(100ms);
  }
  auto r = idle->receive(5s);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("idle"));
  REQUIRE(pinging->send(frame::message("still here")).ok());
  CHECK(pinging->receive(5s).value().text() == "still here");
}

TEST_CASE("a silent or non-TLS peer is dropped after the handshake timeout", "[tls]") {
  recorder rec;
  auto cfg = server_config();
  cfg.handshake_timeout = 200ms;
  auto server = start(rec, cfg);
  int silent = raw_connect(server->port());
  int garbage = raw_connect(server->port());
  const char junk[] = "GET / HTTP/1.0\r\n\r\n";
  REQUIRE(::write(garbage, junk, sizeof junk - 1) > 0);
  char buf[256];
  CHECK(::read(silent, buf, sizeof buf) <= 0);  // closed by the server, not by our 5 s timeout
  while (::read(garbage, buf, sizeof buf) > 0) {
  }
  ::close(silent);
  ::close(garbage);
  REQUIRE(rec.wait([](auto& r) { return r.rejects.size() == 2; }));
  std::lock_guard lock(rec.mu);
  CHECK(rec.connects.empty());
  bool timed_out = false, failed = false;
  for (const auto& why : rec.rejects) {
    timed_out |= why.find("did not finish") != std::string::npos;
    failed |= why.find("TLS handshake failed") != std::string::npos;
  }
  CHECK(timed_out);
  CHECK(failed);
}

TEST_CASE("connections over the limit are refused", "[tls]") {
  recorder rec;
  auto cfg = server_config();
  cfg.max_connections = 2;
  auto server = start(rec, cfg);
  auto a = connect(client_config(server->port()));
  auto b = connect(client_config(server->port()));
  REQUIRE(rec.wait([](auto& r) { return r.connects.size() == 2; }));
  auto c = tls_client::connect(client_config(server->port()));
  CHECK_FALSE(c.ok());
  REQUIRE(rec.wait([](auto& r) { return r.rejects.size() == 1; }));
  {
    std::lock_guard lock(rec.mu);
    CHECK_THAT(rec.rejects[0], Catch::Contains("too many connections"));
  }
  // A slot frees up when a client leaves.
  a.reset();
  REQUIRE(rec.wait([](auto& r) { return r.closes.size() == 1; }));
  auto d = connect(client_config(server->port()));
  REQUIRE(d->send(frame::message("in")).ok());
  CHECK(d->receive(5s).value().text() == "in");
}

TEST_CASE("a throwing handler closes only its connection", "[tls]") {
  recorder rec;
  auto handlers = rec.handlers();
  handlers.on_frame = [](const connection_ptr& c, frame f) {
    if (f.text() == "boom") throw std::runtime_error("bad request");
    (void)c->send(std::move(f));
  };
  auto s = tls_server::start(server_config(), handlers);
  REQUIRE(s.ok());
  auto bad = connect(client_config((*s)->port()));
  auto good = connect(client_config((*s)->port()));
  REQUIRE(bad->send(frame::message("boom")).ok());
  CHECK_FALSE(bad->receive(5s).ok());
  REQUIRE(good->send(frame::message("fine")).ok());
  CHECK(good->receive(5s).value().text() == "fine");
  REQUIRE(rec.wait([](auto& r) { return r.closes.size() == 1; }));
  std::lock_guard lock(rec.mu);
  CHECK_THAT(rec.closes[0].message(), Catch::Contains("bad request"));
}

TEST_CASE("server configuration errors are reported", "[tls]") {
  recorder rec;
  auto cfg = server_config();
  cfg.bind_address = "not-an-ip";
  CHECK_FALSE(tls_server::start(cfg, rec.handlers()).ok());
  cfg = server_config();
  pki other;
  cfg.ca = other.ca.cert;
  auto mismatch = tls_server::start(cfg, rec.handlers());
  REQUIRE_FALSE(mismatch.ok());
  CHECK_THAT(mismatch.message(), Catch::Contains("not valid under the cluster CA"));
  // A port in use.
  auto first = start(rec);
  cfg = server_config();
  cfg.port = first->port();
  auto busy = tls_server::start(cfg, rec.handlers());
  REQUIRE_FALSE(busy.ok());
  // Listeners come from transport/listener_set, which names the address.
  CHECK_THAT(busy.message(),
             Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(first->port())));
  CHECK_THAT(busy.message(), Catch::Contains("in use"));
}

TEST_CASE("openssl s_client interoperates: TLS 1.3 by default, nothing below 1.2", "[tls]") {
  recorder rec;
  auto server = start(rec);
  const pki& p = shared_pki();
  temp_dir dir;
  auto ca = dir.file("ca.pem", pem(p.ca.cert));
  auto cert = dir.file("node.pem", pem(p.node.cert));
  auto key = dir.file("node.key", p.node.key.to_pem().value());
  auto base = "timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(server->port()) +
              " -CAfile " + ca + " -verify_return_error -cert " + cert + " -key " + key;
  auto ok = run("echo | " + base);
  INFO(ok.out);
  CHECK(ok.out.find("TLSv1.3") != std::string::npos);
  CHECK(ok.out.find("Verify return code: 0 (ok)") != std::string::npos);
  // The server sends its CA along (joining clients pin it).
  CHECK(ok.out.find("1 s:CN = example.com") != std::string::npos);
  auto tls12 = run("echo | " + base + " -tls1_2");
  CHECK(tls12.out.find("Protocol  : TLSv1.2") != std::string::npos);
  auto tls11 = run("echo | " + base + " -tls1_1");
  CHECK(tls11.status != 0);
  REQUIRE(rec.wait([](auto& r) { return r.connects.size() == 2; }));
}

TEST_CASE("a peer that does not read overflows its send queue and is closed", "[tls]") {
  recorder rec;
  rec.echo = false;
  auto cfg = server_config();
  cfg.max_send_queue_bytes = 256 * 1024;
  auto server = start(rec, cfg);
  auto client = connect(client_config(server->port()));
  REQUIRE(rec.wait([](auto& r) { return r.conns.size() == 1; }));
  connection_ptr conn;
  {
    std::lock_guard lock(rec.mu);
    conn = rec.conns[0];
  }
  const std::string chunk(64 * 1024, 'z');
  tp::status st;
  // The kernel buffers some megabytes first; 100000 x 64 KiB would be 6 GiB.
  for (int i = 0; i < 100000 && st.ok(); ++i) {
    st = conn->send(frame::message(chunk));
    if (i % 64 == 63) std::this_thread::sleep_for(1ms);  // let the io thread write
  }
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("does not read fast enough"));
  REQUIRE(rec.wait([](auto& r) { return r.closes.size() == 1; }));
  std::lock_guard lock(rec.mu);
  CHECK_THAT(rec.closes[0].message(), Catch::Contains("does not read fast enough"));
}

TEST_CASE("reload serves new connections with another CA's certificate", "[tls]") {
  recorder rec;
  auto server = start(rec);
  const pki& old_gen = shared_pki();
  pki new_gen;  // the next CA generation of the same cluster
  auto before = connect(client_config(server->port()));

  // Rotation: the server presents the new CA's certificate and trusts both.
  REQUIRE(server->reload(new_gen.server, new_gen.ca.cert, {old_gen.ca.cert}).ok());
  auto cfg = client_config(server->port());  // an old-generation client certificate
  cfg.trust.also_trusted = {new_gen.ca.cert};
  auto during = connect(cfg);
  CHECK(during->server_ca_pin() == ca_pin(new_gen.ca.cert));
  REQUIRE(during->send(frame::message("x")).ok());
  CHECK(during->receive(5s).value().text() == "x");
  // A connection made before the reload keeps working.
  REQUIRE(before->send(frame::message("y")).ok());
  CHECK(before->receive(5s).value().text() == "y");

  // After it: the old generation's client certificates are refused.
  REQUIRE(server->reload(new_gen.server, new_gen.ca.cert, {}).ok());
  auto after = tls_client::connect(cfg);
  if (after.ok()) {
    (void)(*after)->send(frame::message("hello"));
    CHECK_FALSE((*after)->receive(5s).ok());
  }
  cfg.credentials = new_gen.node;
  auto renewed = connect(cfg);
  REQUIRE(renewed->send(frame::message("z")).ok());
  CHECK(renewed->receive(5s).value().text() == "z");
  // A certificate that the CA did not sign is not installed; nothing changes.
  CHECK_FALSE(server->reload(old_gen.server, new_gen.ca.cert, {}).ok());
  CHECK(connect(cfg)->server_ca_pin() == ca_pin(new_gen.ca.cert));
}
