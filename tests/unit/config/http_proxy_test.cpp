#include "config/http_proxy.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace tp::config;

TEST_CASE("HTTPS_PROXY values", "[config][http_proxy]") {
  auto p = parse_http_proxy("https://proxy.corp:3128");
  REQUIRE(p.ok());
  CHECK(p->scheme == "https");
  CHECK(p->addr == address{"proxy.corp", 3128});
  p = parse_http_proxy("proxy.corp:8080");  // no scheme: http
  REQUIRE(p.ok());
  CHECK(p->scheme == "http");
  CHECK(p->addr.port == 8080);
  p = parse_http_proxy("http://[fd00::1]/");
  REQUIRE(p.ok());
  CHECK(p->addr == address{"fd00::1", 80});
  CHECK_THAT(parse_http_proxy("socks5://x:1").message(),
             Catch::Contains("scheme must be http or https"));
  CHECK_THAT(parse_http_proxy("http://user:pw@x:1").message(),
             Catch::Contains("expected scheme://host:port"));
  CHECK_THAT(parse_http_proxy("http://x:70000").message(), Catch::Contains("invalid port"));
}

TEST_CASE("http_proxy_from_env prefers HTTPS_PROXY", "[config][http_proxy]") {
  auto env = +[](const char* name) -> const char* {
    if (std::strcmp(name, "HTTPS_PROXY") == 0) return "";
    if (std::strcmp(name, "HTTP_PROXY") == 0) return "http://p2:3128";
    if (std::strcmp(name, "http_proxy") == 0) return "http://p3:3128";
    return nullptr;
  };
  auto r = http_proxy_from_env(env);
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK((*r)->addr.host == "p2");

  auto none = http_proxy_from_env(+[](const char*) -> const char* { return nullptr; });
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  auto bad = http_proxy_from_env(+[](const char* n) -> const char* {
    return std::strcmp(n, "https_proxy") == 0 ? "ftp://x" : nullptr;
  });
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.message(), Catch::StartsWith("https_proxy: invalid proxy"));
}

TEST_CASE("NO_PROXY entries", "[config][http_proxy]") {
  CHECK(no_proxy_matches("*", "anything", 1));
  CHECK(no_proxy_matches("localhost,127.0.0.1", "127.0.0.1", 3024));
  CHECK(no_proxy_matches(" example.com ", "EXAMPLE.com", 443));
  CHECK(no_proxy_matches("example.com", "main.example.com", 443));
  CHECK(no_proxy_matches(".example.com", "main.example.com", 443));
  CHECK_FALSE(no_proxy_matches("example.com", "badexample.com", 443));
  CHECK_FALSE(no_proxy_matches(".example.com", "example.org", 443));
  CHECK(no_proxy_matches("main.test:3080", "main.test", 3080));
  CHECK_FALSE(no_proxy_matches("main.test:3080", "main.test", 3024));
  CHECK(no_proxy_matches("[::1]:3024", "::1", 3024));
  CHECK(no_proxy_matches("[::1]", "::1", 1));
  CHECK_FALSE(no_proxy_matches("", "main.test", 1));
  CHECK_FALSE(no_proxy_matches(",,:bad,[::1", "main.test", 1));
}

TEST_CASE("http_proxy_for applies NO_PROXY", "[config][http_proxy]") {
  auto env = +[](const char* name) -> const char* {
    if (std::strcmp(name, "HTTPS_PROXY") == 0) return "http://127.0.0.1:3128";
    if (std::strcmp(name, "no_proxy") == 0) return "internal.test";
    return nullptr;
  };
  auto direct = http_proxy_for("db.internal.test", 3024, env);
  REQUIRE(direct.ok());
  CHECK_FALSE(direct->has_value());
  auto proxied = http_proxy_for("main.test", 3024, env);
  REQUIRE(proxied.ok());
  REQUIRE(proxied->has_value());
  CHECK((*proxied)->addr == address{"127.0.0.1", 3128});
}
