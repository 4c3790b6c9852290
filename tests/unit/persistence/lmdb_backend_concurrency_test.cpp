// Many threads at once: CAS increments must not lose updates, and readers and
// writers must not corrupt each other.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "persistence/lmdb_backend.hpp"
#include "test_support.hpp"

using namespace tp::persistence;

namespace {

std::unique_ptr<backend> open_or_fail(const std::filesystem::path& dir) {
  auto b = open_lmdb_backend(dir);
  INFO((b.ok() ? "" : b.message()));
  REQUIRE(b.ok());
  return std::move(*b);
}

}  // namespace

TEST_CASE("concurrent CAS increments lose no update") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  REQUIRE(b->put("/counter", "0").ok());
  constexpr int threads = 6;
  constexpr int increments = 40;
  constexpr int max_attempts = 10000;  // bounds each retry loop
  std::atomic<int> failures{0}, conflicts{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < increments; ++i) {
        bool done = false;
        for (int attempt = 0; attempt < max_attempts && !done; ++attempt) {
          auto cur = b->get("/counter");
          if (!cur.ok()) break;
          auto next = std::to_string(std::stoi(cur->value) + 1);
          auto r = b->compare_and_swap("/counter", cur->value, next);
          if (r.ok()) {
            done = true;
          } else if (r.kind() == error_kind::compare_failed) {
            ++conflicts;
          } else {
            break;
          }
        }
        if (!done) ++failures;
      }
    });
  }
  for (auto& t : pool) t.join();
  CHECK(failures == 0);
  CHECK(b->get("/counter")->value == std::to_string(threads * increments));
  INFO("conflicts retried: " << conflicts.load());
}

TEST_CASE("concurrent readers and writers see whole values only") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  constexpr int writers = 3;
  constexpr int readers = 5;
  constexpr int rounds = 60;
  // Each value is one repeated character, so a torn read would show.
  std::atomic<int> bad{0}, errors{0};
  std::vector<std::thread> pool;
  for (int w = 0; w < writers; ++w) {
    pool.emplace_back([&, w] {
      for (int i = 0; i < rounds; ++i) {
        std::vector<item> batch;
        for (int k = 0; k < 10; ++k) {
          batch.push_back({"/c/" + std::to_string(w) + "/" + std::to_string(k),
                           std::string(100 + i, static_cast<char>('a' + i % 26)),
                           {},
                           0});
        }
        if (!b->put_batch(batch).ok()) ++errors;
      }
    });
  }
  for (int r = 0; r < readers; ++r) {
    pool.emplace_back([&] {
      for (int i = 0; i < rounds * 5; ++i) {
        auto range = b->get_range("/c");
        if (!range.ok()) {
          ++errors;
          continue;
        }
        for (const auto& it : *range) {
          if (it.value.empty() || it.value.find_first_not_of(it.value[0]) != std::string::npos) {
            ++bad;
          }
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  CHECK(errors == 0);
  CHECK(bad == 0);
  auto all = b->get_range("/c");
  REQUIRE(all.ok());
  CHECK(all->size() == writers * 10);
  for (const auto& it : *all) CHECK(it.value.size() == 100 + rounds - 1);
}
