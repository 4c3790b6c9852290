// A small cluster PKI and a recording tls_server for the TLS tests.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "transport/tls_client.hpp"
#include "transport/tls_server.hpp"
#include "x509_test_util.hpp"

namespace tp::transport::test {

struct pki {
  tls_credentials ca = create_ca("example.com").value();
  tls_credentials server =
      issue_credentials(ca, leaf("auth-1", {"auth"}, {"localhost", "127.0.0.1"})).value();
  tls_credentials node = issue_credentials(ca, leaf("node-1", {"node"})).value();
};

inline const pki& shared_pki() {
  static const pki p;  // key generation is cheap, but once is enough
  return p;
}

// Records server callbacks so tests can wait for them (bounded).
struct recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<peer_identity>> connects;
  std::vector<std::string> frames;
  std::vector<status> closes;
  std::vector<std::string> rejects;
  std::vector<connection_ptr> conns;
  bool echo = true;

  tls_server_handlers handlers() {
    tls_server_handlers h;
    h.on_connect = [this](const connection_ptr& c, const std::optional<peer_identity>& id) {
      std::lock_guard lock(mu);
      connects.push_back(id);
      conns.push_back(c);
      cv.notify_all();
    };
    h.on_frame = [this](const connection_ptr& c, frame f) {
      {
        std::lock_guard lock(mu);
        frames.emplace_back(f.text());
        cv.notify_all();
      }
      if (echo) (void)c->send(std::move(f));
    };
    h.on_close = [this](const connection_ptr&, const status& why) {
      std::lock_guard lock(mu);
      closes.push_back(why);
      cv.notify_all();
    };
    h.on_reject = [this](const std::string&, const error& why) {
      std::lock_guard lock(mu);
      rejects.push_back(why.message);
      cv.notify_all();
    };
    return h;
  }

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(*this); });
  }
};

inline tls_server_config server_config(const pki& p = shared_pki()) {
  tls_server_config c;
  c.credentials = p.server;
  c.ca = p.ca.cert;
  c.io_threads = 2;
  return c;
}

inline tls_client_config client_config(std::uint16_t port, const pki& p = shared_pki()) {
  tls_client_config c;
  c.host = "127.0.0.1";
  c.port = port;
  c.credentials = p.node;
  c.trust.ca = p.ca.cert;
  c.connect_timeout = std::chrono::seconds(5);
  return c;
}

inline std::unique_ptr<tls_server> start(recorder& rec, tls_server_config cfg = server_config()) {
  auto s = tls_server::start(std::move(cfg), rec.handlers());
  REQUIRE(s.ok());
  REQUIRE((*s)->port() != 0);
  return std::move(s).value();
}

inline std::unique_ptr<tls_client> connect(const tls_client_config& cfg) {
  auto c = tls_client::connect(cfg);
  INFO((c.ok() ? std::string() : c.message()));
  REQUIRE(c.ok());
  return std::move(c).value();
}

}  // namespace tp::transport::test
