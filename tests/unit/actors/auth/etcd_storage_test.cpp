// storage.type: etcd against a real etcd (tests/support/etcd_process.hpp: Debian's
// etcd-server on loopback with client-certificate TLS): what HA needs beyond the
// backend contract (backend_contract_test.cpp) -- refused certificates, failover, several auth
// servers on one etcd, etcd restarting under a watch.
#include "actors/auth/etcd_storage.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "messages/base64.hpp"
#include "tests/unit/actors/auth/shared_backends.hpp"
#include "tests/unit/persistence/test_support.hpp"
#include "transport/http_client.hpp"

using namespace tp;
using namespace std::chrono_literals;

using namespace tp::test::backends;

namespace {

auto config_for(const tp::test::etcd_tls_files& tls, std::string prefix) {
  return etcd_config_for(tls, std::move(prefix));
}
auto open_or_fail(const config::etcd_config& c) {
  return open_etcd_or_fail(c);
}

}  // namespace

TEST_CASE("etcd: refusals are clear errors", "[etcd]") {
  auto foreign = actors::auth::open_etcd_storage(config_for(etcd().foreign_client(), "/t"), 0s);
  REQUIRE_FALSE(foreign);
  CHECK_THAT(foreign.message(), Catch::Contains("rejected the client certificate"));

  auto c = config_for(etcd().client(), "/t");
  c.peers = {"https://127.0.0.1:1"};
  auto down = actors::auth::open_etcd_storage(c, 0s);
  REQUIRE_FALSE(down);
  CHECK_THAT(down.message(), Catch::Contains("etcd at https://127.0.0.1:1 unreachable"));

  auto missing = config_for(etcd().client(), "/t");
  missing.tls_cert_file = "/nonexistent/client.pem";
  auto bad_file = actors::auth::open_etcd_storage(missing, 0s);
  REQUIRE_FALSE(bad_file);
  CHECK_THAT(bad_file.message(), Catch::Contains("/nonexistent/client.pem"));
}

TEST_CASE("etcd: a dead peer is skipped", "[etcd]") {
  auto c = config_for(etcd().client(), fresh_prefix());
  c.peers = {"https://127.0.0.1:1", etcd().url()};
  auto b = open_or_fail(c);
  REQUIRE(b->put("/k", "v"));
  CHECK(b->get("/k")->value == "v");
}

TEST_CASE("etcd: several auth servers on one etcd agree", "[etcd]") {
  const auto prefix = fresh_prefix();
  auto a = open_or_fail(config_for(etcd().client(), prefix));
  auto b = open_or_fail(config_for(etcd().client(), prefix));
  // Two auth servers creating the cluster's CA at the same moment: one wins.
  check_one_create_wins(*a, *b);
  // What one writes, the other reads and watches.
  persistence::test::event_log log;
  auto w = b->watch("/nodes", log.callback());
  REQUIRE(w);
  REQUIRE(a->put("/nodes/n1", "hb", 10s));
  REQUIRE(log.wait_for_key("/nodes/n1"));
  CHECK(b->get("/nodes/n1")->value == "hb");
  // Another prefix is another cluster.
  auto other = open_or_fail(config_for(etcd().client(), fresh_prefix()));
  CHECK(other->get_range("/")->empty());
}

TEST_CASE("etcd: a value another writer left that does not parse is named and skipped", "[etcd]") {
  const auto prefix = fresh_prefix();
  auto skipped = std::make_shared<std::vector<std::string>>();
  auto opened = actors::auth::open_etcd_storage(
      config_for(etcd().client(), prefix), 0s,
      [skipped](const std::string& why) { skipped->push_back(why); });
  REQUIRE(opened);
  auto b = std::move(*opened);
  REQUIRE(b->put("/good", "v"));
  REQUIRE(b->put("/users/ann", "a"));
  // Someone with etcdctl wrote bytes that are not our record under our prefix.
  transport::http_client_options o;
  o.endpoints = {etcd().url()};
  o.ca_file = etcd().client().ca;
  o.cert_file = etcd().client().cert;
  o.key_file = etcd().client().key;
  auto raw = transport::http_client::create(o);
  REQUIRE(raw);
  const nlohmann::json put{{"key", messages::base64_encode(prefix + "/users/joe")},
                           {"value", messages::base64_encode("{not ours")}};
  auto r = (*raw)->post("/v3/kv/put", put.dump());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto got = b->get("/users/joe");
  REQUIRE_FALSE(got);
  CHECK(got.kind() == persistence::error_kind::io);
  CHECK_THAT(got.message(), Catch::Contains("/users/joe") && Catch::Contains("corrupt"));
  // A listing skips it and reports it, naming the key.
  auto users = b->get_range("/users");
  REQUIRE(users);
  CHECK(users->size() == 1);
  CHECK((*users)[0].key == "/users/ann");
  REQUIRE(skipped->size() == 1);
  CHECK_THAT(skipped->front(), Catch::Contains("/users/joe"));
  // The rest of the store is unaffected, and the damaged key can be replaced.
  CHECK(b->get("/good")->value == "v");
  REQUIRE(b->put("/users/joe", "repaired"));
  CHECK(b->get("/users/joe")->value == "repaired");
}

TEST_CASE("etcd: a watch resumes after etcd restarts, missing nothing", "[etcd][watch]") {
  auto b = etcd_fixture{}.open();
  persistence::test::event_log log;
  auto w = b->watch("/w", log.callback());
  REQUIRE(w);
  REQUIRE(b->put("/w/1", "before"));
  REQUIRE(log.wait_for_key("/w/1"));
  etcd().kill9();
  CHECK(b->put("/w/x", "while down").kind() == persistence::error_kind::io);
  std::string why;
  REQUIRE(etcd().restart(why));
  bool wrote = false;
  for (int i = 0; i < 50 && !wrote; ++i) {
    wrote = b->put("/w/2", "after").ok();
    if (!wrote) std::this_thread::sleep_for(100ms);
  }
  REQUIRE(wrote);
  REQUIRE(log.wait_for_key("/w/2", 10s));
  auto evs = log.events();
  REQUIRE(evs.size() == 2);
  CHECK(evs[1].item.value == "after");
}
