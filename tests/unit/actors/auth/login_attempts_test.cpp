#include "actors/auth/login_attempts.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "actors/auth/credentials.hpp"
#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors::auth;
using namespace std::chrono_literals;

namespace {

sys_time at(std::int64_t unix_seconds) {
  return sys_time{std::chrono::seconds{unix_seconds}};
}

bool locked(login_attempts& a, const std::string& user, sys_time now) {
  auto r = a.locked(user, now);
  REQUIRE(r);
  return *r;
}

bool use(login_attempts& a, const std::string& user, std::int64_t counter) {
  auto r = a.use_otp_counter(user, counter);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("login attempts refuse a reused or older TOTP counter", "[login_attempts]") {
  test::temp_dir dir;
  login_attempts lim(test::open_db(dir));
  const std::string key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
  auto c = verify_totp(key, "081804", at(1111111109));
  REQUIRE(c);
  CHECK(use(lim, "joe", *c));
  // The same code is still valid for TOTP for ~a minute, but its use is a replay.
  auto again = verify_totp(key, "081804", at(1111111109 + 20));
  REQUIRE(again);
  CHECK_FALSE(use(lim, "joe", *again));
  CHECK_FALSE(use(lim, "joe", *c - 1));
  CHECK(use(lim, "alice", *c));  // per user
  REQUIRE(lim.success("joe"));   // success must not forget the counter
  CHECK_FALSE(use(lim, "joe", *c));
  CHECK(use(lim, "joe", *c + 1));
  CHECK_FALSE(use(lim, "joe", *c + 1));
}

TEST_CASE("login attempts lock after 5 failures for 20 minutes", "[login_attempts]") {
  test::temp_dir dir;
  login_attempts lim(test::open_db(dir));
  const sys_time t0 = std::chrono::time_point_cast<std::chrono::seconds>(sys_time::clock::now());
  for (int i = 0; i < 4; ++i) REQUIRE(lim.failure("joe", t0 + std::chrono::minutes(i)));
  CHECK_FALSE(locked(lim, "joe", t0 + 4min));
  REQUIRE(lim.failure("joe", t0 + 4min));
  CHECK(locked(lim, "joe", t0 + 4min));
  CHECK(locked(lim, "joe", t0 + 4min + 20min - 1s));
  CHECK_FALSE(locked(lim, "joe", t0 + 4min + 20min));
  CHECK_FALSE(locked(lim, "alice", t0 + 4min));

  // Failures during the lock do not extend it.
  REQUIRE(lim.failure("joe", t0 + 10min));
  CHECK_FALSE(locked(lim, "joe", t0 + 24min));

  // After expiry the count starts again from zero.
  for (int i = 0; i < 4; ++i) REQUIRE(lim.failure("joe", t0 + 25min));
  CHECK_FALSE(locked(lim, "joe", t0 + 25min));
  REQUIRE(lim.failure("joe", t0 + 25min));
  CHECK(locked(lim, "joe", t0 + 25min));
}

TEST_CASE("login attempts forget old failures and reset on success", "[login_attempts]") {
  test::temp_dir dir;
  login_attempts lim(test::open_db(dir));
  const sys_time t0 = std::chrono::time_point_cast<std::chrono::seconds>(sys_time::clock::now());
  // Spread beyond the 30-minute window: never 5 at once.
  for (int i = 0; i < 10; ++i) {
    const sys_time t = t0 + std::chrono::minutes(8 * i);
    REQUIRE(lim.failure("slow", t));
    CHECK_FALSE(locked(lim, "slow", t));
  }
  for (int i = 0; i < 4; ++i) REQUIRE(lim.failure("joe", t0));
  REQUIRE(lim.success("joe"));
  REQUIRE(lim.failure("joe", t0 + 1min));
  CHECK_FALSE(locked(lim, "joe", t0 + 1min));
  REQUIRE(lim.success("nobody"));  // unknown users are fine
}

TEST_CASE("auth servers sharing a backend share lockout and OTP replay", "[login_attempts]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  login_attempts a(db), b(db);
  const sys_time t0 = std::chrono::time_point_cast<std::chrono::seconds>(sys_time::clock::now());
  for (int i = 0; i < 2; ++i) REQUIRE(a.failure("joe", t0));
  for (int i = 0; i < 2; ++i) REQUIRE(b.failure("joe", t0));
  CHECK_FALSE(locked(a, "joe", t0));
  REQUIRE(a.failure("joe", t0));  // the fifth, counted across both
  CHECK(locked(b, "joe", t0));
  CHECK(use(a, "joe", 100));
  CHECK_FALSE(use(b, "joe", 100));  // the code used on A is a replay on B
}

TEST_CASE("concurrent failures on two auth servers are all counted", "[login_attempts]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  const sys_time t0 = std::chrono::time_point_cast<std::chrono::seconds>(sys_time::clock::now());
  // Enough failures to lock once; with lost updates the lock would not happen.
  limiter_limits limits;
  limits.max_failures = 40;
  std::atomic<int> errors{0};
  std::atomic<int> fresh{0};
  auto worker = [&](int offset) {
    login_attempts lim(db, limits);
    for (int i = 0; i < 20; ++i) {
      if (!lim.failure("joe", t0 + std::chrono::milliseconds(offset + 2 * i))) ++errors;
      auto u = lim.use_otp_counter("joe", 7);
      if (!u) ++errors;
      if (u && *u) ++fresh;
    }
  };
  std::thread t1(worker, 0), t2(worker, 1);
  t1.join();
  t2.join();
  CHECK(errors == 0);
  CHECK(fresh == 1);  // one counter is taken exactly once
  login_attempts check(db, limits);
  CHECK(locked(check, "joe", t0 + 1s));
}

TEST_CASE("an unreadable login attempts record is replaced, not fatal", "[login_attempts]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  login_attempts lim(db);
  const sys_time t0 = std::chrono::time_point_cast<std::chrono::seconds>(sys_time::clock::now());
  REQUIRE(lim.failure("joe", t0));
  auto items = db->get_range("/login_attempts");
  REQUIRE(items);
  REQUIRE(items->size() == 1);
  for (const char* bad : {"not json", "[]", R"({"failures":"x","locked_until":0})",
                          R"({"failures":[1.5],"locked_until":0})"}) {
    REQUIRE(db->put((*items)[0].key, bad));
    CHECK_FALSE(locked(lim, "joe", t0));
    CHECK(use(lim, "joe", 5));  // starts the record afresh
    CHECK_FALSE(use(lim, "joe", 5));
  }
}

TEST_CASE("attempt records round-trip", "[login_attempts]") {
  attempt_state s;
  s.failures = {at(10), at(20)};
  s.locked_until = at(99);
  s.last_counter = 42;
  auto back = decode_attempts(encode_attempts(s));
  REQUIRE(back);
  CHECK(back->failures == s.failures);
  CHECK(back->locked_until == s.locked_until);
  CHECK(back->last_counter == s.last_counter);
  CHECK_FALSE(decode_attempts(R"({"failures":[],"locked_until":0,"last_counter":"x"})"));
  CHECK(decode_attempts(R"({"failures":[],"locked_until":0})"));
}
