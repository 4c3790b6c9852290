#include "actors/node/label_command.hpp"

#include <catch2/catch.hpp>

using namespace tp::actors;
using namespace std::chrono_literals;

TEST_CASE("label commands: trimmed output, errors, timeouts", "[label_command]") {
  auto v = run_label_command({"/bin/echo", "  x86_64  "}, 5s);
  REQUIRE(v);
  CHECK(*v == "x86_64");
  auto path = run_label_command({"printf", "a\\nb\\n"}, 5s);  // found in PATH, no shell
  REQUIRE(path);
  CHECK(*path == "a\nb");
  CHECK_THAT(run_label_command({"/nonexistent/tool"}, 5s).message(), Catch::Contains("cannot run"));
  CHECK_THAT(run_label_command({"/bin/sh", "-c", "exit 3"}, 5s).message(),
             Catch::Contains("status 3"));
  const auto start = std::chrono::steady_clock::now();
  auto slow = run_label_command({"/bin/sleep", "5"}, 200ms);
  CHECK_THAT(slow.message(), Catch::Contains("timed out"));
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  auto big = run_label_command({"/bin/sh", "-c", "head -c 5000 /dev/zero | tr '\\\\0' a"}, 5s);
  REQUIRE(big);
  CHECK(big->size() == label_value_max);
  CHECK_FALSE(run_label_command({}, 1s));
}
