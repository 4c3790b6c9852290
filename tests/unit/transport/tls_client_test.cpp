#include "transport/tls_client.hpp"

#include <catch2/catch.hpp>

#include "tls_test_util.hpp"

using namespace tp::transport;
using namespace tp::transport::test;
using namespace std::chrono_literals;

TEST_CASE("a joining client without a certificate connects with the right pin", "[tls]") {
  recorder rec;
  auto server = start(rec);
  auto cfg = client_config(server->port());
  cfg.credentials.reset();
  cfg.trust.ca.reset();
  cfg.trust.ca_pin = ca_pin(shared_pki().ca.cert);
  auto client = connect(cfg);
  CHECK(client->server_ca_pin() == *cfg.trust.ca_pin);
  REQUIRE(client->send(frame::message("token")).ok());
  CHECK(client->receive(5s).value().text() == "token");
  std::lock_guard lock(rec.mu);
  REQUIRE(rec.connects.size() == 1);
  CHECK_FALSE(rec.connects[0].has_value());
}

TEST_CASE("a wrong pin fails the connection before anything is sent", "[tls]") {
  recorder rec;
  auto server = start(rec);
  pki other;
  auto cfg = client_config(server->port());
  cfg.credentials.reset();
  cfg.trust.ca.reset();
  cfg.trust.ca_pin = ca_pin(other.ca.cert);
  auto client = tls_client::connect(cfg);
  REQUIRE_FALSE(client.ok());
  CHECK(client.message() == "the auth server's CA pin " + ca_pin(shared_pki().ca.cert) +
                                " does not match the expected pin " + ca_pin(other.ca.cert));
  REQUIRE(rec.wait([](auto& r) { return r.rejects.size() == 1; }));
  std::lock_guard lock(rec.mu);
  CHECK(rec.connects.empty());
  CHECK(rec.frames.empty());
}

TEST_CASE("client configuration errors are reported before connecting", "[tls]") {
  tls_client_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = 1;
  auto none = tls_client::connect(cfg);
  REQUIRE_FALSE(none.ok());
  CHECK_THAT(none.message(), Catch::Contains("no CA or CA pin"));
  cfg.trust.ca_pin = "sha256:zz";
  auto bad_pin = tls_client::connect(cfg);
  REQUIRE_FALSE(bad_pin.ok());
  CHECK_THAT(bad_pin.message(), Catch::Contains("invalid CA pin"));
  cfg.trust.ca_pin.reset();
  cfg.trust.allow_insecure = true;
  // Nothing listens on port 1.
  auto refused = tls_client::connect(cfg);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.message(), Catch::Contains("cannot connect"));
}

TEST_CASE("insecure mode connects and reports the CA pin to warn about", "[tls]") {
  recorder rec;
  auto server = start(rec);
  auto cfg = client_config(server->port());
  cfg.credentials.reset();
  cfg.trust.ca.reset();
  cfg.trust.allow_insecure = true;
  auto client = connect(cfg);
  CHECK(client->server_ca_pin() == ca_pin(shared_pki().ca.cert));
}

TEST_CASE("a client with the wrong cluster CA refuses the server", "[tls]") {
  recorder rec;
  auto server = start(rec);
  pki other;
  auto cfg = client_config(server->port());
  cfg.credentials = other.node;
  cfg.trust.ca = other.ca.cert;
  auto client = tls_client::connect(cfg);
  REQUIRE_FALSE(client.ok());
  CHECK_THAT(client.message(), Catch::Contains("not trusted"));
}

TEST_CASE("a receive timeout leaves the connection usable", "[tls]") {
  recorder rec;
  auto server = start(rec);
  auto client = connect(client_config(server->port()));
  auto t0 = std::chrono::steady_clock::now();
  auto r = client->receive(100ms);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("timed out"));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(client->is_open());
  REQUIRE(client->send(frame::message("later")).ok());
  CHECK(client->receive(5s).value().text() == "later");
}

TEST_CASE("a burst of server frames arrives complete and in order", "[tls]") {
  recorder rec;
  rec.echo = false;
  auto server = start(rec);
  auto client = connect(client_config(server->port()));
  REQUIRE(rec.wait([](auto& r) { return r.conns.size() == 1; }));
  connection_ptr conn;
  {
    std::lock_guard lock(rec.mu);
    conn = rec.conns[0];
  }
  constexpr int count = 2000;
  for (int i = 0; i < count; ++i) REQUIRE(conn->send(frame::message(std::to_string(i))).ok());
  for (int i = 0; i < count; ++i) {
    auto f = client->receive(5s);
    REQUIRE(f.ok());
    REQUIRE(f->text() == std::to_string(i));
  }
}
