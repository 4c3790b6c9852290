#include "actors/auth/token_registry.hpp"

#include <catch2/catch.hpp>

#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors::auth;
using namespace std::chrono_literals;

namespace {

const sys_time t0 = sys_time{} + std::chrono::hours{24 * 365 * 56};  // ~2026

config::static_token static_node_token() {
  config::static_token t;
  t.roles = {config::system_role::node};
  t.value = "static-secret-token";
  return t;
}

messages::create_token_request join_token(std::string token, std::vector<std::string> roles,
                                          std::int64_t ttl) {
  return messages::create_token_request{std::move(token), std::move(roles), ttl};
}

}  // namespace

TEST_CASE("static tokens allow their roles and never expire", "[tokens]") {
  test::temp_dir dir;
  token_registry reg(test::open_db(dir), {static_node_token()});
  REQUIRE(reg.load());
  CHECK(reg.check_join("static-secret-token", "node", t0));
  CHECK(reg.check_join("static-secret-token", "node", t0 + 24h * 3650));
  auto wrong_role = reg.check_join("static-secret-token", "proxy", t0);
  REQUIRE_FALSE(wrong_role);
  CHECK_THAT(wrong_role.message(), Catch::Contains("does not allow role \"proxy\""));
  CHECK_THAT(reg.check_join("static-secret-tokeN", "node", t0).message(),
             Catch::Contains("invalid or expired"));
  auto ls = reg.list(t0);
  REQUIRE(ls);
  REQUIRE(ls->size() == 1);
  CHECK((*ls)[0].expires_unix == 0);
  CHECK_FALSE(reg.remove("static-secret-token"));  // lives in teleport.yaml
}

TEST_CASE("dynamic tokens expire, can be deleted and survive a restart", "[tokens]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  std::string generated;
  {
    token_registry reg(db, {});
    REQUIRE(reg.load());
    auto fixed = reg.create_join(join_token("my-fixed-token", {"proxy"}, 60), t0);
    REQUIRE(fixed);
    auto random = reg.create_join(join_token("", {"node", "node"}, 3600), t0);
    REQUIRE(random);
    generated = random->token;
    CHECK(generated.size() == 32);
    CHECK(random->roles == std::vector<std::string>{"node"});
    CHECK(reg.check_join("my-fixed-token", "proxy", t0 + 59s));
    CHECK_FALSE(reg.check_join("my-fixed-token", "proxy", t0 + 60s));
    CHECK_FALSE(reg.create_join(join_token("my-fixed-token", {"node"}, 60), t0));  // in use
  }
  token_registry again(db, {});
  REQUIRE(again.load());
  CHECK(again.check_join(generated, "node", t0 + 10s));
  CHECK(again.check_join("my-fixed-token", "proxy", t0 + 10s));
  REQUIRE(again.remove("my-fixed-token"));
  CHECK_FALSE(again.check_join("my-fixed-token", "proxy", t0 + 10s));
  CHECK_FALSE(again.remove("my-fixed-token"));
  auto later = again.list(t0 + 2h);
  REQUIRE(later);
  CHECK(later->empty());

  token_registry third(db, {});
  REQUIRE(third.load());
  CHECK_FALSE(third.check_join("my-fixed-token", "proxy", t0 + 10s));  // deletion was durable
}

TEST_CASE("bad token requests change nothing", "[tokens]") {
  test::temp_dir dir;
  token_registry reg(test::open_db(dir), {});
  REQUIRE(reg.load());
  CHECK_THAT(reg.create_join(join_token("", {"admin"}, 60), t0).message(),
             Catch::Contains("unknown role"));
  CHECK_FALSE(reg.create_join(join_token("", {"node"}, -5), t0));
  CHECK_FALSE(reg.create_join(join_token("short", {"node"}, 60), t0));
  CHECK_FALSE(reg.create_join(join_token("has space in it", {"node"}, 60), t0));
  auto ls = reg.list(t0);
  REQUIRE(ls);
  CHECK(ls->empty());
}

TEST_CASE("signup tokens are listed but do not join hosts", "[tokens]") {
  test::temp_dir dir;
  token_registry reg(test::open_db(dir), {});
  REQUIRE(reg.load());
  auto rec = reg.create_signup(messages::create_signup_request{"joe", {"joe"}, {"admin"}},
                               "JBSWY3DPEHPK3PXP", t0);
  REQUIRE(rec);
  CHECK_FALSE(reg.check_join(rec->token, "node", t0));
  auto ls = reg.list(t0);
  REQUIRE(ls);
  REQUIRE(ls->size() == 1);
  CHECK((*ls)[0].user == "joe");
  CHECK((*ls)[0].roles == std::vector<std::string>{"signup"});
  CHECK((*ls)[0].expires_unix ==
        std::chrono::duration_cast<std::chrono::seconds>((t0 + 1h).time_since_epoch()).count());
}

TEST_CASE("auth servers sharing a backend see each other's tokens at once", "[tokens]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  token_registry a(db, {}), b(db, {});
  REQUIRE(a.load());
  REQUIRE(b.load());
  // Created on A after B started: B honours it without a restart.
  REQUIRE(a.create_join(join_token("shared-join-token", {"node"}, 600), t0));
  CHECK(b.check_join("shared-join-token", "node", t0 + 1s));
  auto listed = b.list(t0);
  REQUIRE(listed);
  CHECK(listed->size() == 1);
  // The same text cannot be taken twice, whichever server is asked.
  CHECK_THAT(b.create_join(join_token("shared-join-token", {"proxy"}, 600), t0).message(),
             Catch::Contains("already exists"));
  // A signup link made on B works on A, and once used up on A it is gone on B.
  auto signup = b.create_signup(messages::create_signup_request{"ann", {"ann"}, {"admin"}},
                                "JBSWY3DPEHPK3PXP", t0);
  REQUIRE(signup);
  REQUIRE(a.find_signup(signup->token, t0));
  REQUIRE(a.remove(signup->token));
  CHECK_FALSE(b.find_signup(signup->token, t0));
  CHECK_FALSE(b.remove(signup->token));
  // Deleted on B: refused on A.
  REQUIRE(b.remove("shared-join-token"));
  CHECK_THAT(a.check_join("shared-join-token", "node", t0 + 2s).message(),
             Catch::Contains("invalid or expired"));
}

TEST_CASE("an unreadable token record is skipped with its key", "[tokens]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  token_registry reg(db, {});
  REQUIRE(reg.create_join(join_token("good-join-token", {"node"}, 600), t0));
  REQUIRE(db->put("/tokens/0000000000000000000000000000000000000000000000000000000000000000",
                  "{not json"));
  REQUIRE(reg.load());
  auto ls = reg.list(t0);
  REQUIRE(ls);
  REQUIRE(ls->size() == 1);
  CHECK((*ls)[0].token == "good-join-token");
  CHECK(reg.check_join("good-join-token", "node", t0));
}
