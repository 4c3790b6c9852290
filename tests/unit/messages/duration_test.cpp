#include "messages/duration.hpp"

#include <limits>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using tp::messages::format_duration;
using tp::messages::parse_duration;

TEST_CASE("durations format like Go's time.Duration", "[duration]") {
  CHECK(format_duration(0s) == "0s");
  CHECK(format_duration(30h) == "30h0m0s");
  CHECK(format_duration(1h) == "1h0m0s");
  CHECK(format_duration(5min) == "5m0s");
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(500ms) == "500ms");
  CHECK(format_duration(1500ns) == "1.5\xc2\xb5s");
  CHECK(format_duration(100ns) == "100ns");
  CHECK(format_duration(-5min) == "-5m0s");
  CHECK(format_duration(2h + 3min + 4s + 5ns) == "2h3m4.000000005s");
  CHECK(format_duration(std::chrono::nanoseconds::min()) == "-2562047h47m16.854775808s");
}

TEST_CASE("durations parse Go syntax", "[duration]") {
  CHECK(*parse_duration("30h0m0s") == 30h);
  CHECK(*parse_duration("1h30m") == 90min);
  CHECK(*parse_duration("1.5s") == 1500ms);
  CHECK(*parse_duration(".5s") == 500ms);
  CHECK(*parse_duration("1.h") == 1h);
  CHECK(*parse_duration("500ms") == 500ms);
  CHECK(*parse_duration("1us") == 1us);
  CHECK(*parse_duration("1\xc2\xb5s") == 1us);
  CHECK(*parse_duration("0") == 0s);
  CHECK(*parse_duration("-2m") == -2min);
  CHECK(*parse_duration("+3s") == 3s);
  CHECK(*parse_duration("2562047h47m16.854775807s") == std::chrono::nanoseconds::max());
  CHECK(*parse_duration("-2562047h47m16.854775808s") == std::chrono::nanoseconds::min());
}

TEST_CASE("bad durations are rejected with the reason", "[duration]") {
  auto missing_unit = parse_duration("3600");
  REQUIRE_FALSE(missing_unit);
  CHECK_THAT(missing_unit.message(), Catch::Contains("\"3600\"") &&
                                         Catch::Contains("missing unit") &&
                                         Catch::Contains("30h0m0s"));
  CHECK_THAT(parse_duration("5x").message(), Catch::Contains("unknown unit \"x\""));
  CHECK_THAT(parse_duration("").message(), Catch::Contains("empty"));
  CHECK_THAT(parse_duration("-").message(), Catch::Contains("empty"));
  CHECK_THAT(parse_duration("h").message(), Catch::Contains("expected a number"));
  CHECK_THAT(parse_duration(".s").message(), Catch::Contains("expected a number"));
  CHECK_THAT(parse_duration("1h 2m").message(), Catch::Contains("unknown unit"));
  CHECK_THAT(parse_duration("2562047h47m16.854775808s").message(), Catch::Contains("too large"));
  CHECK_THAT(parse_duration("99999999999999999999h").message(), Catch::Contains("too large"));
}

TEST_CASE("format then parse returns the same duration", "[duration]") {
  // Spans nanoseconds to centuries in ~40 steps.
  for (std::int64_t n = 1; n < std::numeric_limits<std::int64_t>::max() / 4; n = n * 3 + 7) {
    const std::chrono::nanoseconds d{n};
    INFO(format_duration(d));
    CHECK(*parse_duration(format_duration(d)) == d);
    CHECK(*parse_duration(format_duration(-d)) == -d);
  }
}
