#include "persistence/key_path.hpp"

#include <catch2/catch.hpp>

using namespace tp::persistence;

TEST_CASE("validate_key accepts paths and rejects the rest with a clear message") {
  CHECK(validate_key("/users/joe").ok());
  CHECK(validate_key("/").ok());
  CHECK(validate_key("/" + std::string(max_key_size - 1, 'k')).ok());

  auto empty = validate_key("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.kind() == error_kind::bad_parameter);
  CHECK_THAT(empty.message(), Catch::Contains("empty"));

  auto relative = validate_key("users/joe");
  REQUIRE_FALSE(relative.ok());
  CHECK(relative.kind() == error_kind::bad_parameter);
  CHECK_THAT(relative.message(), Catch::Contains("does not start with '/'"));

  auto too_long = validate_key("/" + std::string(max_key_size, 'k'));
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.kind() == error_kind::bad_parameter);
  CHECK_THAT(too_long.message(), Catch::Contains("512 bytes") && Catch::Contains("511"));

  auto nul = validate_key(std::string("/a\0b", 4));
  REQUIRE_FALSE(nul.ok());
  CHECK_THAT(nul.message(), Catch::Contains("NUL"));

  CHECK_FALSE(validate_prefix("nodes").ok());
  CHECK(validate_prefix("/nodes/").ok());
}

TEST_CASE("in_prefix stops at path boundaries") {
  CHECK(in_prefix("/nodes", "/nodes"));
  CHECK(in_prefix("/nodes/a", "/nodes"));
  CHECK(in_prefix("/nodes/a/b", "/nodes"));
  CHECK_FALSE(in_prefix("/nodesX", "/nodes"));
  CHECK_FALSE(in_prefix("/nodes!", "/nodes"));
  CHECK_FALSE(in_prefix("/node", "/nodes"));
  CHECK_FALSE(in_prefix("/nodes/ab", "/nodes/a"));

  CHECK(in_prefix("/nodes/a", "/nodes/"));
  CHECK_FALSE(in_prefix("/nodes", "/nodes/"));
  CHECK(in_prefix("/anything", "/"));
}

TEST_CASE("printable_key escapes and truncates hostile bytes") {
  CHECK(printable_key("/a") == "\"/a\"");
  CHECK(printable_key(std::string("/\x01\"", 3)) == "\"/\\x01\\\"\"");
  auto long_key = printable_key(std::string(1000, 'x'));
  CHECK(long_key.size() < 100);
  CHECK_THAT(long_key, Catch::EndsWith("..."));
}
