#include "config/address.hpp"

#include <catch2/catch.hpp>

using namespace tp::config;

TEST_CASE("parse_address handles host:port forms", "[config][address]") {
  auto a = parse_address("10.1.0.5:3025", address_kind::auth);
  REQUIRE(a.ok());
  CHECK(a->host == "10.1.0.5");
  CHECK(a->port == 3025);

  a = parse_address("[::1]:3022", address_kind::node_ssh);
  REQUIRE(a.ok());
  CHECK(a->host == "::1");
  CHECK(a->port == 3022);
  CHECK(a->is_ipv6());
  CHECK(a->to_string() == "[::1]:3022");

  a = parse_address(":3022", 0);
  REQUIRE(a.ok());
  CHECK(a->host == "0.0.0.0");
  CHECK(a->port == 3022);

  a = parse_address("proxy.example.com", address_kind::proxy_web);
  REQUIRE(a.ok());
  CHECK(a->to_string() == "proxy.example.com:3080");

  a = parse_address("[fe80::1]", address_kind::proxy_tunnel);
  REQUIRE(a.ok());
  CHECK(a->to_string() == "[fe80::1]:3024");

  a = parse_address("2001:db8::7", address_kind::auth);  // bare IPv6 literal, default port
  REQUIRE(a.ok());
  CHECK(a->to_string() == "[2001:db8::7]:3025");

  a = parse_address("host_1.internal:65535", 0);
  REQUIRE(a.ok());
  CHECK(a->port == 65535);
}

TEST_CASE("default ports per kind", "[config][address]") {
  CHECK(default_port(address_kind::node_ssh) == 3022);
  CHECK(default_port(address_kind::proxy_ssh) == 3023);
  CHECK(default_port(address_kind::proxy_tunnel) == 3024);
  CHECK(default_port(address_kind::auth) == 3025);
  CHECK(default_port(address_kind::proxy_web) == 3080);
}

TEST_CASE("parse_address rejects bad input", "[config][address]") {
  CHECK(parse_address("0.0.0.0:99999", 0).message() == "invalid port \"99999\" (expected 1-65535)");
  CHECK_THAT(parse_address("host:0", 0).message(), Catch::Contains("invalid port \"0\""));
  CHECK_THAT(parse_address("host:abc", 0).message(), Catch::Contains("invalid port \"abc\""));
  CHECK_THAT(parse_address("host:", 3022).message(), Catch::Contains("missing port"));
  CHECK_THAT(parse_address("host", 0).message(), Catch::Contains("missing port"));
  CHECK_THAT(parse_address("::1:3022:x", 0).message(), Catch::Contains("too many colons"));
  CHECK_THAT(parse_address("[::1", 0).message(), Catch::Contains("missing ']'"));
  CHECK_THAT(parse_address("[nothost]:1", 0).message(), Catch::Contains("not an IPv6 address"));
  CHECK_THAT(parse_address("[::1]x", 0).message(), Catch::Contains("expected ':'"));
  CHECK_THAT(parse_address("bad host:1", 0).message(), Catch::Contains("whitespace"));
  CHECK_THAT(parse_address("a..b:1", 0).message(), Catch::Contains("bad host name"));
  CHECK_THAT(parse_address("-a:1", 0).message(), Catch::Contains("bad host name"));
  CHECK_THAT(parse_address("999.1.1.1:1", 0).message(), Catch::Contains("bad host name"));
  CHECK_THAT(parse_address("http://x:1", 0).message(), Catch::Contains("invalid"));
  CHECK_THAT(parse_address("", 3022).message(), Catch::Contains("empty address"));
}

TEST_CASE("is_ip_literal", "[config][address]") {
  CHECK(is_ip_literal("10.0.0.1"));
  CHECK(is_ip_literal("::1"));
  CHECK_FALSE(is_ip_literal("example.com"));
  CHECK_FALSE(is_ip_literal("10.0.0.256"));
  CHECK_FALSE(is_ip_literal("[::1]"));
}
