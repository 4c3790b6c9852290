// The behaviour every storage backend promises (persistence/backend.hpp), as Catch2
// template tests over fixtures. A fixture F has `std::unique_ptr<backend> open()`
// returning an empty store. Include this header once per test binary after defining
// TP_BACKEND_FIXTURES (a comma-separated list of fixture types); the LMDB backend runs
// it in unit_persistence, the etcd backend against a real etcd in unit_actors.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include "persistence/backend.hpp"
#include "tests/unit/persistence/test_support.hpp"

#ifndef TP_BACKEND_FIXTURES
#error "define TP_BACKEND_FIXTURES before including backend_contract.hpp"
#endif

namespace tp::persistence::contract {

using namespace std::chrono_literals;

inline std::vector<std::string> keys_of(const std::vector<item>& items) {
  std::vector<std::string> out;
  for (const auto& it : items) out.push_back(it.key);
  return out;
}

}  // namespace tp::persistence::contract

TEMPLATE_TEST_CASE("contract: put, get, overwrite and remove", "[backend]", TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  auto missing = b->get("/users/joe");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.kind() == error_kind::not_found);
  CHECK_THAT(missing.message(), Catch::Contains("/users/joe"));

  auto r1 = b->put("/users/joe", R"({"name":"joe"})");
  REQUIRE(r1.ok());
  auto got = b->get("/users/joe");
  REQUIRE(got.ok());
  CHECK(got->key == "/users/joe");
  CHECK(got->value == R"({"name":"joe"})");
  CHECK_FALSE(got->expires);
  CHECK(got->revision == *r1);

  auto r2 = b->put("/users/joe", "v2");
  REQUIRE(r2.ok());
  CHECK(*r2 > *r1);
  CHECK(b->get("/users/joe")->value == "v2");

  std::string binary("\0\xff\x01 bytes", 9);
  REQUIRE(b->put("/bin", binary).ok());
  CHECK(b->get("/bin")->value == binary);
  REQUIRE(b->put("/empty", "").ok());
  CHECK(b->get("/empty")->value.empty());

  REQUIRE(b->remove("/users/joe").ok());
  CHECK(b->get("/users/joe").kind() == error_kind::not_found);
  auto again = b->remove("/users/joe");
  REQUIRE_FALSE(again.ok());
  CHECK(again.kind() == error_kind::not_found);
}

TEMPLATE_TEST_CASE("contract: create only when absent", "[backend]", TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  REQUIRE(b->create("/tokens/t1", "first").ok());
  auto dup = b->create("/tokens/t1", "second");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.kind() == error_kind::already_exists);
  CHECK_THAT(dup.message(), Catch::Contains("already exists"));
  CHECK(b->get("/tokens/t1")->value == "first");
  REQUIRE(b->remove("/tokens/t1").ok());
  CHECK(b->create("/tokens/t1", "third").ok());
  CHECK(b->get("/tokens/t1")->value == "third");
}

TEMPLATE_TEST_CASE("contract: compare_and_swap tells not found from compare failed", "[backend]",
                   TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  auto absent = b->compare_and_swap("/lock", "a", "b");
  REQUIRE_FALSE(absent.ok());
  CHECK(absent.kind() == error_kind::not_found);
  CHECK(b->get("/lock").kind() == error_kind::not_found);

  REQUIRE(b->put("/lock", "a").ok());
  auto wrong = b->compare_and_swap("/lock", "x", "b");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.kind() == error_kind::compare_failed);
  CHECK(b->get("/lock")->value == "a");
  // A prefix of the value is not the value.
  CHECK(b->compare_and_swap("/lock", "", "b").kind() == error_kind::compare_failed);

  auto ok = b->compare_and_swap("/lock", "a", "b");
  REQUIRE(ok.ok());
  auto now = b->get("/lock");
  CHECK(now->value == "b");
  CHECK(now->revision == *ok);
}

TEMPLATE_TEST_CASE("contract: concurrent compare_and_swap loses no update", "[backend]",
                   TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  REQUIRE(b->put("/counter", "0").ok());
  constexpr int threads = 4, per_thread = 10;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        for (int attempt = 0; attempt < 200; ++attempt) {
          auto cur = b->get("/counter");
          if (!cur) continue;
          const auto next = std::to_string(std::stoi(cur->value) + 1);
          if (b->compare_and_swap("/counter", cur->value, next).ok()) break;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  CHECK(b->get("/counter")->value == std::to_string(threads * per_thread));
}

TEMPLATE_TEST_CASE("contract: get_range is sorted and respects path boundaries", "[backend]",
                   TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  using tp::persistence::contract::keys_of;
  TestType f;
  auto b = f.open();
  for (const char* k : {"/nodesX", "/nodes/b/c", "/other", "/nodes", "/nodes!", "/nodes/ab",
                        "/node", "/nodes/a", "/nodes.a"}) {
    REQUIRE(b->put(k, std::string("v") + k).ok());
  }
  auto subtree = b->get_range("/nodes");
  REQUIRE(subtree.ok());
  CHECK(keys_of(*subtree) ==
        std::vector<std::string>{"/nodes", "/nodes/a", "/nodes/ab", "/nodes/b/c"});
  CHECK((*subtree)[1].value == "v/nodes/a");
  CHECK(keys_of(*b->get_range("/nodes/")) ==
        std::vector<std::string>{"/nodes/a", "/nodes/ab", "/nodes/b/c"});
  CHECK(keys_of(*b->get_range("/nodes/a")) == std::vector<std::string>{"/nodes/a"});
  CHECK(keys_of(*b->get_range("/nodes", 2)) == std::vector<std::string>{"/nodes", "/nodes/a"});
  CHECK(b->get_range("/nodes", 0)->empty());
  CHECK(b->get_range("/missing")->empty());
  auto all = b->get_range("/");
  REQUIRE(all.ok());
  CHECK(all->size() == 9);
  CHECK(std::is_sorted(all->begin(), all->end(),
                       [](const item& x, const item& y) { return x.key < y.key; }));
}

TEMPLATE_TEST_CASE("contract: remove_range removes exactly the subtree", "[backend]",
                   TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  using tp::persistence::contract::keys_of;
  TestType f;
  auto b = f.open();
  for (const char* k : {"/nodes", "/nodes/a", "/nodes/b/c", "/nodesX", "/nodes!", "/x"}) {
    REQUIRE(b->put(k, "v").ok());
  }
  auto n = b->remove_range("/nodes");
  REQUIRE(n.ok());
  CHECK(*n == 3);
  CHECK(keys_of(*b->get_range("/")) == std::vector<std::string>{"/nodes!", "/nodesX", "/x"});
  CHECK(*b->remove_range("/nodes") == 0);
}

TEMPLATE_TEST_CASE("contract: put_batch writes everything or nothing", "[backend]",
                   TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  const auto before = b->put("/before", "v");
  REQUIRE(before.ok());
  std::vector<item> batch;
  for (int i = 0; i < 100; ++i) {
    batch.push_back({"/batch/" + std::to_string(i), "value" + std::to_string(i), {}, 0});
  }
  REQUIRE(b->put_batch(batch).ok());
  auto all = b->get_range("/batch");
  REQUIRE(all.ok());
  REQUIRE(all->size() == 100);
  CHECK(b->get("/batch/57")->value == "value57");
  CHECK(b->get("/batch/0")->revision > *before);

  std::vector<item> bad{{"/ok/1", "v", {}, 0}, {"no-slash", "v", {}, 0}, {"/ok/2", "v", {}, 0}};
  auto r = b->put_batch(bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.kind() == error_kind::bad_parameter);
  CHECK_THAT(r.message(), Catch::Contains("no-slash"));
  CHECK(b->get_range("/ok")->empty());
  CHECK(b->put_batch({}).ok());
}

TEMPLATE_TEST_CASE("contract: bad keys, prefixes and TTLs are refused and write nothing",
                   "[backend]", TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  REQUIRE(b->put("/keep", "v").ok());
  const std::string too_long = "/" + std::string(511, 'k');
  const std::string longest = "/" + std::string(510, 'k');
  for (const std::string& key :
       {std::string(), std::string("relative"), too_long, std::string("/a\0b", 4)}) {
    INFO("key of size " << key.size());
    auto p = b->put(key, "v");
    REQUIRE_FALSE(p.ok());
    CHECK(p.kind() == error_kind::bad_parameter);
    CHECK(b->create(key, "v").kind() == error_kind::bad_parameter);
    CHECK(b->compare_and_swap(key, "v", "w").kind() == error_kind::bad_parameter);
    CHECK(b->remove(key).kind() == error_kind::bad_parameter);
    CHECK(b->get(key).kind() == error_kind::bad_parameter);
    CHECK(b->get_range(key).kind() == error_kind::bad_parameter);
    CHECK(b->remove_range(key).kind() == error_kind::bad_parameter);
    CHECK(b->watch(key, [](const event&) {}).kind() == error_kind::bad_parameter);
  }
  CHECK(b->get_range("/")->size() == 1);
  REQUIRE(b->put(longest, "v").ok());
  CHECK(b->get(longest)->value == "v");

  auto zero = b->put("/ttl", "v", std::chrono::milliseconds(0));
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.kind() == error_kind::bad_parameter);
  CHECK_THAT(zero.message(), Catch::Contains("ttl"));
  CHECK(b->put("/ttl", "v", std::chrono::milliseconds(-5)).kind() == error_kind::bad_parameter);
  CHECK(b->create("/ttl", "v", std::chrono::hours(24 * 365 * 200)).kind() ==
        error_kind::bad_parameter);
  CHECK(b->get("/ttl").kind() == error_kind::not_found);
  CHECK(b->watch("/", nullptr).kind() == error_kind::bad_parameter);
}

TEMPLATE_TEST_CASE("contract: an item with a TTL is readable until it expires, then gone",
                   "[backend][ttl]", TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  using namespace std::chrono_literals;
  TestType f;
  auto b = f.open();
  const auto before = clock::now();
  REQUIRE(b->put("/nodes/n1", "hb", 200ms).ok());
  auto got = b->get("/nodes/n1");
  REQUIRE(got.ok());
  REQUIRE(got->expires);
  CHECK(*got->expires >= before + 199ms);
  CHECK(*got->expires <= clock::now() + 201ms);
  CHECK(b->get_range("/nodes")->size() == 1);

  std::this_thread::sleep_until(*got->expires + 1ms);
  // Immediately invisible, whether or not the store has reclaimed it yet.
  CHECK(b->get("/nodes/n1").kind() == error_kind::not_found);
  CHECK(b->get_range("/nodes")->empty());
  CHECK(b->remove("/nodes/n1").kind() == error_kind::not_found);
  CHECK(b->compare_and_swap("/nodes/n1", "hb", "x").kind() == error_kind::not_found);
  // An expired key counts as absent for create.
  REQUIRE(b->create("/nodes/n1", "again").ok());
  CHECK(b->get("/nodes/n1")->value == "again");
  CHECK_FALSE(b->get("/nodes/n1")->expires);

  // A batch item that already expired is never visible.
  std::vector<item> batch{{"/old", "v", clock::now() - 1h, 0}, {"/new", "v", clock::now() + 1h, 0}};
  REQUIRE(b->put_batch(batch).ok());
  CHECK(b->get("/old").kind() == error_kind::not_found);
  CHECK(b->get("/new").ok());
}

TEMPLATE_TEST_CASE("contract: expiry is reported to watchers as a remove", "[backend][ttl]",
                   TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  using namespace std::chrono_literals;
  TestType f;
  auto b = f.open();
  tp::persistence::test::event_log log;
  auto w = b->watch("/ttl", log.callback());
  REQUIRE(w.ok());
  REQUIRE(b->put("/ttl/short", "v", 200ms).ok());
  REQUIRE(b->put("/ttl/long", "v", 1h).ok());
  REQUIRE(b->put("/ttl/none", "v").ok());
  REQUIRE(b->put("/ttl/refresh", "v1", 200ms).ok());
  REQUIRE(b->put("/ttl/refresh", "v2").ok());  // rewriting replaces the expiry
  // Four puts and the expiry's remove (etcd reclaims leases in whole seconds).
  REQUIRE(log.wait_for_count(6, 8s));
  auto evs = log.events();
  CHECK(evs[5].type == event_type::remove);
  CHECK(evs[5].item.key == "/ttl/short");
  CHECK(evs[5].item.revision > evs[4].item.revision);
  std::this_thread::sleep_for(300ms);
  CHECK(log.events().size() == 6);  // nothing else expired
  CHECK(b->get("/ttl/long").ok());
  CHECK(b->get("/ttl/refresh")->value == "v2");
}

TEMPLATE_TEST_CASE("contract: watch reports puts and removes under its prefix, in order",
                   "[backend][watch]", TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  REQUIRE(b->put("/a/before", "old").ok());  // before watch(): not reported
  tp::persistence::test::event_log log;
  auto w = b->watch("/a", log.callback());
  REQUIRE(w.ok());
  auto rev = b->put("/a/x", "1");
  REQUIRE(rev.ok());
  REQUIRE(b->put("/b/y", "other").ok());
  REQUIRE(b->put("/ab", "sibling").ok());
  REQUIRE(b->compare_and_swap("/a/x", "1", "2").ok());
  REQUIRE(b->remove("/a/x").ok());
  REQUIRE(b->create("/a", "root").ok());
  REQUIRE(b->put("/a/zz-end", "").ok());
  REQUIRE(log.wait_for_key("/a/zz-end"));
  auto evs = log.events();
  REQUIRE(evs.size() == 5);
  CHECK(evs[0].type == event_type::put);
  CHECK(evs[0].item.key == "/a/x");
  CHECK(evs[0].item.value == "1");
  CHECK(evs[0].item.revision == *rev);
  CHECK(evs[1].item.value == "2");
  CHECK(evs[2].type == event_type::remove);
  CHECK(evs[2].item.key == "/a/x");
  CHECK(evs[3].item.key == "/a");
  CHECK(evs[4].item.key == "/a/zz-end");
  for (std::size_t i = 1; i < evs.size(); ++i)
    CHECK(evs[i].item.revision > evs[i - 1].item.revision);
}

TEMPLATE_TEST_CASE("contract: batches and remove_range are reported item by item",
                   "[backend][watch]", TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  using namespace std::chrono_literals;
  TestType f;
  auto b = f.open();
  tp::persistence::test::event_log log;
  auto w = b->watch("/r", log.callback());
  REQUIRE(w.ok());
  std::vector<item> batch{{"/r/1", "a", {}, 0}, {"/r/2", "b", {}, 0}, {"/s/3", "c", {}, 0}};
  REQUIRE(b->put_batch(batch).ok());
  REQUIRE(b->remove_range("/r").ok());
  REQUIRE(log.wait_for_count(4));
  std::this_thread::sleep_for(50ms);
  auto evs = log.events();
  REQUIRE(evs.size() == 4);
  CHECK((evs[0].type == event_type::put && evs[0].item.key == "/r/1"));
  CHECK((evs[1].type == event_type::put && evs[1].item.key == "/r/2"));
  CHECK((evs[2].type == event_type::remove && evs[2].item.key == "/r/1"));
  CHECK((evs[3].type == event_type::remove && evs[3].item.key == "/r/2"));
}

TEMPLATE_TEST_CASE("contract: failed writes are not reported", "[backend][watch]",
                   TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  tp::persistence::test::event_log log;
  auto w = b->watch("/", log.callback());
  REQUIRE(w.ok());
  REQUIRE(b->put("/k", "v").ok());
  CHECK_FALSE(b->create("/k", "w").ok());
  CHECK_FALSE(b->compare_and_swap("/k", "nope", "w").ok());
  CHECK_FALSE(b->remove("/missing").ok());
  CHECK_FALSE(b->put_batch({{"/fine", "v", {}, 0}, {"bad", "v", {}, 0}}).ok());
  REQUIRE(b->put("/end", "").ok());
  REQUIRE(log.wait_for_key("/end"));
  CHECK(log.events().size() == 2);
}

TEMPLATE_TEST_CASE("contract: unsubscribing stops delivery, other watchers carry on",
                   "[backend][watch]", TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  using namespace std::chrono_literals;
  TestType f;
  auto b = f.open();
  tp::persistence::test::event_log first, second;
  auto w1 = b->watch("/", first.callback());
  auto w2 = b->watch("/", second.callback());
  REQUIRE((w1.ok() && w2.ok()));
  REQUIRE(b->put("/one", "1").ok());
  REQUIRE(first.wait_for_key("/one"));
  w1->reset();
  REQUIRE(b->put("/two", "2").ok());
  REQUIRE(second.wait_for_key("/two"));
  std::this_thread::sleep_for(50ms);
  CHECK(first.events().size() == 1);
  CHECK(second.events().size() == 2);
}

TEMPLATE_TEST_CASE("contract: callbacks may call back into the backend", "[backend][watch]",
                   TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  tp::persistence::test::event_log log;
  auto record = log.callback();
  std::atomic<bool> wrote{false};
  auto w = b->watch("/in", [&](const event& ev) {
    // A read and a write from inside a callback must not deadlock.
    auto got = b->get(ev.item.key);
    if (got.ok()) wrote = b->put("/out/copy", got->value).ok();
    record(ev);
  });
  REQUIRE(w.ok());
  REQUIRE(b->put("/in/x", "copied").ok());
  REQUIRE(log.wait_for_key("/in/x"));
  CHECK(wrote);
  CHECK(b->get("/out/copy")->value == "copied");
}

TEMPLATE_TEST_CASE("contract: dropping the backend before its watch handles is safe",
                   "[backend][watch]", TP_BACKEND_FIXTURES) {
  using namespace tp::persistence;
  TestType f;
  auto b = f.open();
  std::atomic<int> calls{0};
  auto w = b->watch("/", [&](const event&) { ++calls; });
  REQUIRE(w.ok());
  REQUIRE(b->put("/x", "v").ok());
  b.reset();  // stops the watch
  const int seen = calls;
  CHECK(seen <= 1);
  w->reset();
  CHECK(calls == seen);
}
