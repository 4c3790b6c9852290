#include "actors/auth/login_attempts.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <utility>

#include "actors/identity/secrets.hpp"

namespace tp::actors::auth {
namespace {

using std::chrono::milliseconds;

// Enough for a burst of logins for one user on every auth server at once.
constexpr int k_max_tries = 16;

std::int64_t unix_ms(sys_time t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

sys_time from_unix_ms(std::int64_t ms) {
  return sys_time{milliseconds{ms}};
}

std::string key_of(const std::string& user) {
  // Hashed: user names come from the network and need not be valid key segments.
  return "/login_attempts/" + sha256_hex(user);
}

}  // namespace

void attempt_state::add_failure(const limiter_limits& limits, sys_time now) {
  if (locked(now)) return;
  std::erase_if(failures, [&](sys_time f) { return f + limits.window <= now; });
  failures.push_back(now);
  if (failures.size() >= static_cast<std::size_t>(limits.max_failures)) {
    locked_until = now + limits.lock_for;
    failures.clear();
  }
}

bool attempt_state::take_counter(std::int64_t counter) {
  if (last_counter && counter <= *last_counter) return false;
  last_counter = counter;
  return true;
}

std::string encode_attempts(const attempt_state& s) {
  nlohmann::json failures = nlohmann::json::array();
  for (auto t : s.failures) failures.push_back(unix_ms(t));
  nlohmann::json j = {{"failures", std::move(failures)}, {"locked_until", unix_ms(s.locked_until)}};
  if (s.last_counter) j["last_counter"] = *s.last_counter;
  return j.dump();
}

std::optional<attempt_state> decode_attempts(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const auto f = j.find("failures");
  const auto l = j.find("locked_until");
  if (f == j.end() || !f->is_array() || f->size() > 1000 || l == j.end() ||
      !l->is_number_integer()) {
    return std::nullopt;
  }
  attempt_state s;
  for (const auto& t : *f) {
    if (!t.is_number_integer()) return std::nullopt;
    s.failures.push_back(from_unix_ms(t.get<std::int64_t>()));
  }
  s.locked_until = from_unix_ms(l->get<std::int64_t>());
  if (auto c = j.find("last_counter"); c != j.end()) {
    if (!c->is_number_integer()) return std::nullopt;
    s.last_counter = c->get<std::int64_t>();
  }
  return s;
}

login_attempts::login_attempts(std::shared_ptr<persistence::backend> db, limiter_limits limits)
    : db_(std::move(db)), limits_(limits) {
  assert(db_ && limits_.max_failures > 0);
}

template <class Change>
tp::result<bool> login_attempts::update(const std::string& user, Change change) {
  const auto key = key_of(user);
  // Nothing in a record matters once both the window and a lock have passed; the
  // TOTP counter only matters for the code's ~90 s of validity.
  const auto ttl =
      std::chrono::duration_cast<milliseconds>(std::max(limits_.window, limits_.lock_for));
  for (int i = 0; i < k_max_tries; ++i) {
    auto cur = db_->get(key);
    if (!cur && !cur.is(persistence::error_kind::not_found)) {
      return tp::make_error("reading login attempts: " + cur.message());
    }
    attempt_state state;
    if (cur) {
      if (auto d = decode_attempts(cur->value)) {
        state = std::move(*d);
      } else {
        spdlog::warn("unreadable login attempts record {}: starting it afresh", key);
      }
    }
    const auto [write, answer] = change(state);
    if (!write) return answer;
    const auto text = encode_attempts(state);
    auto w = cur ? db_->compare_and_swap(key, cur->value, text, ttl) : db_->create(key, text, ttl);
    if (w) return answer;
    if (!w.is(persistence::error_kind::compare_failed) &&
        !w.is(persistence::error_kind::already_exists) &&
        !w.is(persistence::error_kind::not_found)) {
      return tp::make_error("storing login attempts: " + w.message());
    }
    // Another auth server changed the record in between: read it again.
  }
  return tp::make_error("storing login attempts: too many concurrent changes, try again");
}

tp::result<bool> login_attempts::locked(const std::string& user, sys_time now) {
  auto cur = db_->get(key_of(user));
  if (!cur) {
    if (cur.is(persistence::error_kind::not_found)) return false;
    return tp::make_error("reading login attempts: " + cur.message());
  }
  auto state = decode_attempts(cur->value);
  return state && state->locked(now);
}

tp::status login_attempts::failure(const std::string& user, sys_time now) {
  auto r = update(user, [&](attempt_state& s) {
    if (s.locked(now)) return std::pair{false, true};
    s.add_failure(limits_, now);
    return std::pair{true, true};
  });
  if (!r) return r.err();
  return {};
}

tp::status login_attempts::success(const std::string& user) {
  auto r = update(user, [](attempt_state& s) {
    if (s.failures.empty()) return std::pair{false, true};
    s.failures.clear();
    return std::pair{true, true};
  });
  if (!r) return r.err();
  return {};
}

tp::result<bool> login_attempts::use_otp_counter(const std::string& user, std::int64_t counter) {
  return update(user, [&](attempt_state& s) {
    const bool fresh = s.take_counter(counter);
    return std::pair{fresh, fresh};
  });
}

}  // namespace tp::actors::auth
