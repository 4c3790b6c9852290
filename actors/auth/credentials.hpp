// Local-user credential primitives for the auth service: password hashing
// (argon2id), TOTP second factor (RFC 6238 via liboath), the otpauth:// URI and
// its QR code for signup (lockout and OTP replay: login_attempts.hpp).
// Pure functions: no actors, no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
// code that was already used (login_attempts::use_otp_counter), else nullopt.
std::optional<std::int64_t> verify_totp(std::string_view base32_secret, std::string_view code,
                                        sys_time now);

// otpauth://totp/<cluster>:<user>?secret=..&issuer=<cluster>&algorithm=SHA1&digits=6&period=30
// (user and cluster percent-encoded).
std::string totp_uri(std::string_view user, std::string_view cluster, std::string_view secret);

// QR code (ECC level M, 8-bit mode) of text as a 1-bit grayscale PNG with a
// 4-module quiet zone and 4 px per module, base64-encoded (no line breaks).
tp::result<std::string> qr_png_base64(std::string_view text);

}  // namespace tp::actors::auth
