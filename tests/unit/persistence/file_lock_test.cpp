#include "persistence/file_lock.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/unit/persistence/test_support.hpp"

using namespace tp::persistence;
using namespace std::chrono_literals;

TEST_CASE("a file lock has one holder, the error names it, release lets the next in",
          "[file_lock]") {
  test::temp_dir dir;
  const auto path = dir.path() / "auth.lock";
  auto first = lock_file(path.string(), 0ms);
  REQUIRE(first);
  auto second = lock_file(path.string(), 0ms);
  REQUIRE_FALSE(second);
  CHECK_THAT(second.message(), Catch::Contains("held by pid " + std::to_string(::getpid())));
  CHECK_THAT(second.message(), Catch::Contains(path.string()));

  // A waiter gets it once the holder lets go.
  std::thread release([&] {
    std::this_thread::sleep_for(200ms);
    first->reset();
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto waited = lock_file(path.string(), 5s);
  release.join();
  REQUIRE(waited);
  CHECK(std::chrono::steady_clock::now() - t0 >= 150ms);
}

TEST_CASE("a lock in a directory that does not exist is a clear error", "[file_lock]") {
  test::temp_dir dir;
  auto l = lock_file((dir.path() / "missing" / "x.lock").string(), 0ms);
  REQUIRE_FALSE(l);
  CHECK_THAT(l.message(), Catch::Contains("cannot open"));
}
