// Per-user failed-login counting, temporary lock and TOTP replay refusal, kept
// in the backend so that every auth server sharing it (HA on etcd) agrees:
//
//   /login_attempts/<sha256 of the user name>
//       {"failures":[unix ms...], "locked_until":unix ms, "last_counter":n}
//
// Each change is a compare-and-swap on that record, retried a bounded number of
// times, so two auth servers counting at once lose no failure and accept a TOTP
// code at most once. Records expire (backend TTL) once nothing in them can
// matter any more, which bounds storage: every attempt costs an argon2 hash.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "persistence/backend.hpp"

namespace tp::actors::auth {

using sys_time = std::chrono::system_clock::time_point;

struct limiter_limits {
  int max_failures = 5;                    // failures within window that lock
  std::chrono::seconds window{30 * 60};    // how long a failure counts
  std::chrono::seconds lock_for{20 * 60};  // lock duration
};

// One user's record, and the pure rules that change it.
struct attempt_state {
  std::vector<sys_time> failures;  // within the window, oldest first
  sys_time locked_until{};
  std::optional<std::int64_t> last_counter;

  bool locked(sys_time now) const { return now < locked_until; }
  // The max_failures-th failure within the window locks for lock_for; failures
  // while locked are ignored (they do not extend the lock).
  void add_failure(const limiter_limits& limits, sys_time now);
  // False if this counter or a later one was used already; else remembers it.
  bool take_counter(std::int64_t counter);
};

std::string encode_attempts(const attempt_state& s);
// nullopt for anything that is not a record encode_attempts wrote.
std::optional<attempt_state> decode_attempts(std::string_view text);

class login_attempts {
 public:
  explicit login_attempts(std::shared_ptr<persistence::backend> db, limiter_limits limits = {});

  // Errors are the backend's; callers refuse the login then (fail closed).
  tp::result<bool> locked(const std::string& user, sys_time now);
  tp::status failure(const std::string& user, sys_time now);
  // Forgets failures; the TOTP counter is kept (replay protection must survive).
  tp::status success(const std::string& user);
  tp::result<bool> use_otp_counter(const std::string& user, std::int64_t counter);

 private:
  // Reads the record, applies change (which returns false to leave it as is) and
  // writes it back with CAS; retried when another auth server wrote in between.
  template <class Change>
  tp::result<bool> update(const std::string& user, Change change);

  std::shared_ptr<persistence::backend> db_;
  limiter_limits limits_;
};

}  // namespace tp::actors::auth
