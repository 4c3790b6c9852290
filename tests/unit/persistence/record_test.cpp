#include "persistence/record.hpp"

#include <catch2/catch.hpp>

using namespace tp::persistence;

TEST_CASE("records round-trip value, expiry and revision") {
  std::string value("binary\0value", 12);
  auto bytes = record::encode(value, 1'700'000'000'123, 42);
  CHECK(bytes.size() == record::header_size + value.size());
  auto v = record::decode(bytes);
  REQUIRE(v);
  CHECK(v->value == value);
  CHECK(v->expires_ms == 1'700'000'000'123);
  CHECK(v->revision == 42);

  auto empty = record::decode(record::encode("", 0, 1));
  REQUIRE(empty);
  CHECK(empty->value.empty());
  CHECK_FALSE(record::expired(*empty, record::now_ms()));
}

TEST_CASE("decode rejects bytes it did not write") {
  CHECK_FALSE(record::decode(""));
  CHECK_FALSE(record::decode("short"));
  auto bytes = record::encode("v", 0, 1);
  bytes[0] = 9;  // unknown version
  CHECK_FALSE(record::decode(bytes));
}

TEST_CASE("expiry index keys sort in time order") {
  auto a = record::expiry_index_key(1000);
  auto b = record::expiry_index_key(1001);
  auto c = record::expiry_index_key(256000);
  CHECK(a < b);
  CHECK(b < c);
  CHECK(record::parse_expiry_index_key(c) == 256000);
  CHECK(record::parse_expiry_index_key("bad") == 0);
}

TEST_CASE("expired counts the expiry instant itself") {
  record::view v;
  v.expires_ms = 5000;
  CHECK_FALSE(record::expired(v, 4999));
  CHECK(record::expired(v, 5000));
  auto t = record::from_ms(123456);
  CHECK(record::to_ms(t) == 123456);
}
