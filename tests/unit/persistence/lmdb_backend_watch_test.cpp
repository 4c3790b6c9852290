// Watches on the LMDB backend: what is delivered, filtering, unsubscribing,
// and that watchers never hold writers up.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <thread>

#include "persistence/lmdb_backend.hpp"
#include "test_support.hpp"

using namespace tp::persistence;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<backend> open_or_fail(const std::filesystem::path& dir,
                                      const lmdb_options& opts = {}) {
  auto b = open_lmdb_backend(dir, opts);
  INFO((b.ok() ? "" : b.message()));
  REQUIRE(b.ok());
  return std::move(*b);
}

}  // namespace

TEST_CASE("watch reports puts and removes under its prefix, in order") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  REQUIRE(b->put("/a/before", "old").ok());  // before watch(): not reported
  test::event_log log;
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

TEST_CASE("batches and remove_range are reported item by item") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  test::event_log log;
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

TEST_CASE("failed writes are not reported") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  test::event_log log;
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

TEST_CASE("unsubscribing stops delivery; other watchers carry on") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  test::event_log first, second;
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

TEST_CASE("callbacks may call back into the backend") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  test::event_log log;
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

TEST_CASE("a stuck watcher never blocks writers and is closed with overflow") {
  test::temp_dir dir;
  lmdb_options opts;
  opts.watch_queue_capacity = 8;
  auto b = open_or_fail(dir.path(), opts);
  std::promise<void> release;
  auto released = release.get_future().share();
  test::event_log log;
  auto record = log.callback();
  auto w = b->watch("/", [&, released](const event& ev) {
    record(ev);
    released.wait_for(10s);  // bounded even if the test fails
  });
  REQUIRE(w.ok());
  const auto start = std::chrono::steady_clock::now();
  std::vector<item> batch;
  for (int i = 0; i < 100; ++i) batch.push_back({"/k/" + std::to_string(i), "v", {}, 0});
  REQUIRE(b->put_batch(batch).ok());
  for (int i = 0; i < 20; ++i) REQUIRE(b->put("/p/" + std::to_string(i), "v").ok());
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  release.set_value();
  // At most: the event in the callback, a full queue, and the overflow.
  REQUIRE(log.wait_for_count(2));
  std::this_thread::sleep_for(100ms);
  REQUIRE(b->put("/after", "v").ok());
  std::this_thread::sleep_for(100ms);
  auto evs = log.events();
  CHECK(evs.size() <= opts.watch_queue_capacity + 2);
  CHECK(evs.back().type == event_type::overflow);
}

TEST_CASE("dropping the backend before its watch handles is safe") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  std::atomic<int> calls{0};
  auto w = b->watch("/", [&](const event&) { ++calls; });
  REQUIRE(w.ok());
  REQUIRE(b->put("/x", "v").ok());
  b.reset();  // joins the watcher thread
  const int seen = calls;
  CHECK(seen <= 1);
  w->reset();
  CHECK(calls == seen);
}
