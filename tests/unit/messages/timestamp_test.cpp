#include "messages/timestamp.hpp"

#include <catch2/catch.hpp>

using tp::messages::format_rfc3339;
using tp::messages::parse_rfc3339;
using tp::messages::timestamp;

TEST_CASE("the zero time is the manual's 0001-01-01T00:00:00Z", "[timestamp]") {
  CHECK(timestamp{}.is_zero());
  CHECK(format_rfc3339(timestamp{}) == "0001-01-01T00:00:00Z");
  auto t = parse_rfc3339("0001-01-01T00:00:00Z");
  REQUIRE(t);
  CHECK(t->is_zero());
  CHECK(t->to_time_point() == std::chrono::system_clock::time_point::min());
}

TEST_CASE("RFC 3339 times parse to UTC and format like Go", "[timestamp]") {
  auto t = parse_rfc3339("2016-05-17T03:51:00Z");
  REQUIRE(t);
  CHECK(t->unix_seconds == 1463457060);
  CHECK(t->nanos == 0);
  CHECK(format_rfc3339(*t) == "2016-05-17T03:51:00Z");
  CHECK(*parse_rfc3339("2016-05-17T05:51:00+02:00") == *t);
  CHECK(*parse_rfc3339("2016-05-16t22:51:00-05:00") == *t);

  auto frac = parse_rfc3339("2018-01-02T03:04:05.123Z");
  REQUIRE(frac);
  CHECK(frac->nanos == 123'000'000);
  CHECK(format_rfc3339(*frac) == "2018-01-02T03:04:05.123Z");
  CHECK(format_rfc3339(*parse_rfc3339("2018-01-02T03:04:05.000000001Z")) ==
        "2018-01-02T03:04:05.000000001Z");
  CHECK(parse_rfc3339("9999-12-31T23:59:59Z")->unix_seconds == 253402300799);
  CHECK(format_rfc3339(*parse_rfc3339("2000-02-29T12:00:00Z")) == "2000-02-29T12:00:00Z");
}

TEST_CASE("time points convert both ways", "[timestamp]") {
  const auto now = std::chrono::system_clock::now();
  const auto t = timestamp::from_time_point(now);
  CHECK(t.to_time_point() == now);
  CHECK(*parse_rfc3339(format_rfc3339(t)) == t);
  const auto before = timestamp::from_time_point(std::chrono::system_clock::time_point{} -
                                                 std::chrono::nanoseconds{1});
  CHECK(before.unix_seconds == -1);
  CHECK(before.nanos == 999'999'999);
}

TEST_CASE("bad times are rejected", "[timestamp]") {
  for (const char* bad :
       {"", "x", "2016-02-30T00:00:00Z", "2015-02-29T00:00:00Z", "2016-05-17 03:51:00Z",
        "2016-05-17T03:51:00", "0000-01-01T00:00:00Z", "2016-05-17T24:00:00Z",
        "2016-05-17T03:60:00Z", "2016-13-01T00:00:00Z", "2016-05-17T03:51:00.1234567891Z",
        "2016-05-17T03:51:00.Z", "2016-05-17T03:51:00Zjunk", "2016-05-17T03:51:00+2:00",
        "0001-01-01T00:00:00+01:00", "2016-05-17T03:51:00+24:00"}) {
    INFO(bad);
    auto t = parse_rfc3339(bad);
    REQUIRE_FALSE(t);
    CHECK_THAT(t.message(), Catch::Contains("expected RFC 3339"));
  }
}
