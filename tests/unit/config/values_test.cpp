#include "config/values.hpp"

#include <catch2/catch.hpp>

using namespace tp::config;

TEST_CASE("parse_bool accepts YAML 1.1 spellings", "[config][values]") {
  for (const char* t : {"yes", "true", "on", "YES", "True", "On"}) CHECK(*parse_bool(t) == true);
  for (const char* f : {"no", "false", "off", "NO", "False", "OFF"}) CHECK(*parse_bool(f) == false);
  for (const char* bad : {"", "y", "1", "maybe", "enabled", "yes "}) {
    INFO(bad);
    auto r = parse_bool(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains("invalid boolean") && Catch::Contains("yes/no"));
  }
}

TEST_CASE("parse_uint", "[config][values]") {
  CHECK(*parse_uint("0") == 0);
  CHECK(*parse_uint("1000") == 1000);
  CHECK_FALSE(parse_uint("-1").ok());
  CHECK_FALSE(parse_uint("12abc").ok());
  CHECK_FALSE(parse_uint("").ok());
  CHECK_THAT(parse_uint("99999999999999999999").message(), Catch::Contains("too large"));
  CHECK_THAT(parse_uint("70000", 65535).message(), Catch::Contains("at most 65535"));
}

TEST_CASE("quote escapes control characters and shortens", "[config][values]") {
  CHECK(quote("a\"b") == "\"a\\\"b\"");
  CHECK(quote("x\ny\x1b") == "\"x\\ny\\x1b\"");
  CHECK(quote(std::string(200, 'a')).size() < 100);
}
