// Local-user credential primitives for the auth service: password hashing
// (argon2id), TOTP second factor (RFC 6238 via liboath), the otpauth:// URI and
// its QR code for signup, and a per-user login limiter (lockout + OTP replay).
// Pure functions and a plain class: no actors, no I/O; the owner serialises access.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "messages/result.hpp"

namespace tp::actors::auth {

using sys_time = std::chrono::system_clock::time_point;

inline constexpr std::size_t k_min_password_length = 6;
inline constexpr std::size_t k_max_password_length = 128;

// Length limits in bytes; any byte value is allowed.
tp::status check_password_policy(std::string_view pw);

// argon2id, t=3, m=64 MiB, p=1, 16-byte random salt, 32-byte tag; returns the
// PHC-encoded string "$argon2id$v=19$m=65536,t=3,p=1$<salt>$<tag>".
tp::result<std::string> hash_password(std::string_view pw);

// Constant-time check of pw against an encoding made by hash_password. False for
// anything malformed or with cost parameters beyond sane bounds; never throws.
bool verify_password(std::string_view encoded, std::string_view pw);

// 20 random bytes (160 bits, the RFC 4226 recommendation), base32 without padding.
// Aborts if the CSPRNG fails: a predictable secret is worse than no service.
std::string new_totp_secret();

// RFC 6238 TOTP (SHA1, 6 digits, 30 s step, T0 = 0) accepting one step either
// side of now. Returns the matched time-step counter so callers can refuse a
// code that was already used (login_limiter::use_otp_counter), else nullopt.
std::optional<std::int64_t> verify_totp(std::string_view base32_secret, std::string_view code,
                                        sys_time now);

// otpauth://totp/<cluster>:<user>?secret=..&issuer=<cluster>&algorithm=SHA1&digits=6&period=30
// (user and cluster percent-encoded).
std::string totp_uri(std::string_view user, std::string_view cluster, std::string_view secret);

// QR code (ECC level M, 8-bit mode) of text as a 1-bit grayscale PNG with a
// 4-module quiet zone and 4 px per module, base64-encoded (no line breaks).
tp::result<std::string> qr_png_base64(std::string_view text);

struct limiter_limits {
  int max_failures = 5;                    // failures within window that lock
  std::chrono::seconds window{30 * 60};    // how long a failure counts
  std::chrono::seconds lock_for{20 * 60};  // lock duration
  std::size_t max_users = 100'000;         // memory bound
};

// Per-user failed-login counting, temporary lock, and TOTP replay protection.
// Not thread-safe: owned by one actor. When full, the least recently touched
// entry is dropped, preferring entries that are not currently locked so that a
// flood of bogus names cannot cheaply unlock a victim.
class login_limiter {
 public:
  explicit login_limiter(limiter_limits limits = {});

  bool locked(const std::string& user, sys_time now) const;
  // Records a failed attempt; the max_failures-th within window locks the user
  // for lock_for. Failures while locked are ignored (they do not extend it).
  void failure(const std::string& user, sys_time now);
  // Forgets failures (the OTP counter is kept: replay protection must survive).
  void success(const std::string& user);
  // False if this user already used this time-step counter or a later one;
  // otherwise remembers it and returns true.
  bool use_otp_counter(const std::string& user, std::int64_t counter);

  std::size_t size() const { return entries_.size(); }

 private:
  struct entry {
    std::list<std::string>::iterator lru;  // position in order_
    std::vector<sys_time> failures;        // within window, oldest first
    sys_time locked_until{};
    std::optional<std::int64_t> last_counter;
  };

  entry& touch(const std::string& user);
  void evict_one();

  limiter_limits limits_;
  std::unordered_map<std::string, entry> entries_;
  std::list<std::string> order_;  // front = most recently touched
  sys_time latest_{};             // latest time seen, to judge locks when evicting
};

}  // namespace tp::actors::auth
