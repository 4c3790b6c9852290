#include "tests/unit/actors/auth/shared_backends.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <thread>

#include "actors/auth/dynamodb_storage.hpp"
#include "actors/auth/etcd_storage.hpp"

namespace tp::test::backends {

using namespace std::chrono_literals;

tp::test::etcd_process& etcd() {
  static std::unique_ptr<tp::test::etcd_process> p = [] {
    std::string why;
    auto s = tp::test::etcd_process::start(why);
    INFO(why);
    REQUIRE(s);
    return s;
  }();
  return *p;
}

const tp::test::dynalite_process::key& good_key() {
  static const tp::test::dynalite_process::key k{"AKIDTPTEST", "tp-test-secret", false};
  return k;
}

const tp::test::dynalite_process::key& denied_key() {
  static const tp::test::dynalite_process::key k{"AKIDTPDENIED", "tp-denied-secret", true};
  return k;
}

tp::test::dynalite_process& dynalite() {
  static std::unique_ptr<tp::test::dynalite_process> p = [] {
    std::string why;
    auto s = tp::test::dynalite_process::start({good_key(), denied_key()}, why);
    INFO(why);
    REQUIRE(s);
    return s;
  }();
  return *p;
}

namespace {
std::uint64_t random_number() {
  static std::mt19937_64 rng{std::random_device{}()};
  return rng();
}
}  // namespace

std::string fresh_prefix() {
  return "/test-" + std::to_string(random_number());
}
std::string fresh_table_name() {
  return "test-" + std::to_string(random_number());
}

config::etcd_config etcd_config_for(const tp::test::etcd_tls_files& tls, std::string prefix) {
  config::etcd_config c;
  c.peers = {etcd().url()};
  c.tls_ca_file = tls.ca;
  c.tls_cert_file = tls.cert;
  c.tls_key_file = tls.key;
  c.prefix = std::move(prefix);
  return c;
}

std::unique_ptr<persistence::backend> open_etcd_or_fail(const config::etcd_config& c) {
  auto b = actors::auth::open_etcd_storage(c, 0s);
  INFO((b ? "" : b.message()));
  REQUIRE(b);
  return std::move(*b);
}

config::dynamodb_config dynamodb_config_for(std::string table) {
  config::dynamodb_config c;
  c.region = "us-east-1";
  c.table_name = std::move(table);
  c.access_key = good_key().access_key;
  c.secret_key = good_key().secret_key;
  c.endpoint = dynalite().url();
  return c;
}

std::unique_ptr<persistence::backend> open_dynamodb_or_fail(const config::dynamodb_config& c) {
  auto b = actors::auth::open_dynamodb_storage(c);
  INFO((b ? "" : b.message()));
  REQUIRE(b);
  return std::move(*b);
}

void check_one_create_wins(persistence::backend& a, persistence::backend& b) {
  std::atomic<int> won{0};
  std::thread t1([&] { won += a.create("/authorities/host/main", "from a").ok(); });
  std::thread t2([&] { won += b.create("/authorities/host/main", "from b").ok(); });
  t1.join();
  t2.join();
  CHECK(won == 1);
  auto from_a = a.get("/authorities/host/main");
  auto from_b = b.get("/authorities/host/main");
  REQUIRE(from_a);
  REQUIRE(from_b);
  CHECK(from_a->value == from_b->value);
}

std::unique_ptr<persistence::backend> etcd_fixture::open() {
  return open_etcd_or_fail(etcd_config_for(etcd().client(), fresh_prefix()));
}

std::unique_ptr<persistence::backend> dynamodb_fixture::open() {
  return open_dynamodb_or_fail(dynamodb_config_for(fresh_table_name()));
}

}  // namespace tp::test::backends
