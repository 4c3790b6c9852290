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
