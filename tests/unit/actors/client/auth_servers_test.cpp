// Failover between auth servers (actors/client/auth_servers.hpp), without a network: the
// attempt is a function of the address.
#include "actors/client/auth_servers.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace tp;
using namespace tp::actors;

namespace {

config::address at(std::uint16_t port) {
  return {"127.0.0.1", port};
}

}  // namespace

TEST_CASE("auth_servers: the one that answered last is tried first", "[auth_servers]") {
  auth_servers auths({at(1), at(2), at(3)});
  std::vector<std::uint16_t> tried;
  std::set<std::uint16_t> down{1};
  auto attempt = [&](const config::address& a) -> tp::result<int> {
    tried.push_back(a.port);
    if (down.count(a.port)) return make_error("connection refused");
    return int{a.port};
  };
  CHECK(*auths.first_that<int>(attempt) == 2);
  CHECK(tried == std::vector<std::uint16_t>{1, 2});
  CHECK(auths.current() == at(2));
  tried.clear();
  CHECK(*auths.first_that<int>(attempt) == 2);  // no detour through the dead one
  CHECK(tried == std::vector<std::uint16_t>{2});
  // 2 dies: 3, then around to 1 (down) is not needed.
  down.insert(2);
  tried.clear();
  CHECK(*auths.first_that<int>(attempt) == 3);
  CHECK(tried == std::vector<std::uint16_t>{2, 3});
  // All down: each one's reason.
  down.insert(3);
  auto none = auths.first_that<int>(attempt);
  REQUIRE_FALSE(none);
  CHECK_THAT(none.message(), Catch::Contains("no auth server answered") &&
                                 Catch::Contains("127.0.0.1:1: connection refused") &&
                                 Catch::Contains("127.0.0.1:3: connection refused"));
  CHECK(auths.describe() == "127.0.0.1:1, 127.0.0.1:2, 127.0.0.1:3");
}

TEST_CASE("auth_servers: a single server's error is its own", "[auth_servers]") {
  auth_servers one({at(7)});
  auto r = one.first_that<int>(
      [](const config::address&) -> tp::result<int> { return make_error("connection refused"); });
  REQUIRE_FALSE(r);
  CHECK(r.message() == "connection refused");
}

TEST_CASE("auth_servers: a learned list keeps the current server preferred", "[auth_servers]") {
  auth_servers auths({at(1), at(2)});
  (void)auths.first_that<int>([](const config::address& a) -> tp::result<int> {
    if (a.port == 1) return make_error("down");
    return 0;
  });
  REQUIRE(auths.current() == at(2));
  auths.replace({at(5), at(2), at(6)});
  CHECK(auths.current() == at(2));
  CHECK(auths.addresses() == std::vector<config::address>{at(5), at(2), at(6)});
  auths.replace({});  // an empty answer changes nothing
  CHECK(auths.addresses().size() == 3);
  auths.replace({at(9)});
  CHECK(auths.current() == at(9));
}
