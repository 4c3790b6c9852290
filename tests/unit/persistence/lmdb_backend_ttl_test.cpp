// TTLs: expired items vanish from reads at once, the sweeper deletes them and
// tells watchers, and expiries survive a restart.
#include <catch2/catch.hpp>

#include <thread>

#include "persistence/lmdb_backend.hpp"
#include "test_support.hpp"

using namespace tp::persistence;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<backend> open_or_fail(const std::filesystem::path& dir) {
  lmdb_options opts;
  opts.sweep_interval = 100ms;
  auto b = open_lmdb_backend(dir, opts);
  INFO((b.ok() ? "" : b.message()));
  REQUIRE(b.ok());
  return std::move(*b);
}

// Polls (bounded) until get(key) reports not_found.
bool gone_within(backend& b, const std::string& key, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (b.get(key).kind() == error_kind::not_found) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

TEST_CASE("rewriting an item replaces its expiry") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  test::event_log log;
  auto w = b->watch("/", log.callback());
  REQUIRE(w.ok());
  REQUIRE(b->put("/refresh", "v1", 200ms).ok());
  REQUIRE(b->put("/refresh", "v2").ok());  // no TTL any more
  REQUIRE(b->put("/cas", "a", 200ms).ok());
  REQUIRE(b->compare_and_swap("/cas", "a", "b", 1h).ok());
  std::this_thread::sleep_for(500ms);
  CHECK(b->get("/refresh")->value == "v2");
  CHECK(b->get("/cas")->value == "b");
  for (const auto& ev : log.events()) CHECK(ev.type == event_type::put);
}

TEST_CASE("many items expiring together are all swept") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  test::event_log log;
  auto w = b->watch("/many", log.callback());
  REQUIRE(w.ok());
  std::vector<item> batch;
  const auto expires = clock::now() + 200ms;
  for (int i = 0; i < 2500; ++i) batch.push_back({"/many/" + std::to_string(i), "v", expires, 0});
  REQUIRE(b->put_batch(batch).ok());
  REQUIRE(log.wait_for_count(5000, 10s));
  std::size_t removes = 0;
  for (const auto& ev : log.events()) removes += ev.type == event_type::remove;
  CHECK(removes == 2500);
  CHECK(b->get_range("/many")->empty());
}

TEST_CASE("expiries survive a restart and are swept afterwards") {
  test::temp_dir dir;
  {
    auto b = open_or_fail(dir.path());
    REQUIRE(b->put("/session/s1", "v", 300ms).ok());
    REQUIRE(b->put("/session/s2", "v", 1h).ok());
  }
  auto b = open_or_fail(dir.path());
  test::event_log log;
  auto w = b->watch("/session", log.callback());
  REQUIRE(w.ok());
  CHECK(gone_within(*b, "/session/s1", 2s));
  REQUIRE(log.wait_for_key("/session/s1", 3s));
  CHECK(log.events().front().type == event_type::remove);
  CHECK(b->get("/session/s2").ok());
}
