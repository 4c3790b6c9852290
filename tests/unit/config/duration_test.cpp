#include "config/duration.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using tp::config::format_duration;
using tp::config::parse_duration;

TEST_CASE("parse_duration accepts Go-style durations", "[config][duration]") {
  CHECK(*parse_duration("1h0m0s") == 1h);
  CHECK(*parse_duration("30s") == 30s);
  CHECK(*parse_duration("1m") == 1min);
  CHECK(*parse_duration("1.5h") == 90min);
  CHECK(*parse_duration("300ms") == 300ms);
  CHECK(*parse_duration("2h45m30.5s") == 2h + 45min + 30500ms);
  CHECK(*parse_duration("0") == 0ms);
  CHECK(*parse_duration("-1m") == -1min);
  CHECK(*parse_duration(".5s") == 500ms);
  CHECK(*parse_duration("1500us") == 1ms);  // sub-millisecond parts are truncated
  CHECK(*parse_duration("1\xc2\xb5s") == 0ms);
  CHECK(*parse_duration("2000000ns") == 2ms);
}

TEST_CASE("parse_duration rejects garbage with a clear message", "[config][duration]") {
  for (const char* bad : {"", "1", "h", "1x", "1h 30m", "abc", "1.h2", "--1s", "1..5s",
                          "99999999999h", "9223372036855ms", "1h-", "+", "."}) {
    INFO(bad);
    auto r = parse_duration(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains("invalid duration"));
  }
  CHECK_THAT(parse_duration("5d").message(), Catch::Contains("unknown unit \"d\""));
  CHECK_THAT(parse_duration("10").message(), Catch::Contains("missing unit"));
}

TEST_CASE("format_duration writes Go's spelling and round-trips", "[config][duration]") {
  CHECK(format_duration(1h) == "1h0m0s");
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(300ms) == "300ms");
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(-2s) == "-2s");
  for (auto d : {1h, 23h, 30h}) CHECK(*parse_duration(format_duration(d)) == d);
  for (auto d : {1ms, 1001ms, 61001ms, 3'600'001ms})
    CHECK(*parse_duration(format_duration(d)) == d);
}
