#include "messages/duration.hpp"

#include <cstdint>
#include <limits>

namespace tp::messages {
namespace {

using u128 = unsigned __int128;

constexpr std::uint64_t kMaxMagnitude = std::uint64_t{1} << 63;  // |INT64_MIN|

// Nanoseconds per unit, or 0 when the unit is unknown.
std::uint64_t unit_nanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") return 1'000;  // u, µ, μ
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

tp::error bad(std::string_view text, std::string_view why) {
  return tp::make_error("invalid duration \"" + std::string(text) + "\": " + std::string(why) +
                        " (examples: 30h0m0s, 1h30m, 5m, 1.5s)");
}

// Appends the low `prec` digits of v as a fraction (".5"), dropping trailing zeros, and
// divides v by 10^prec.
std::string take_fraction(std::uint64_t& v, int prec) {
  std::string digits;
  bool significant = false;
  for (int i = 0; i < prec; ++i) {
    const char digit = static_cast<char>('0' + v % 10);
    significant = significant || digit != '0';
    if (significant) digits.insert(digits.begin(), digit);
    v /= 10;
  }
  return digits.empty() ? std::string() : "." + digits;
}

}  // namespace

tp::result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds{0};
  if (s.empty()) return bad(text, "empty");

  u128 total = 0;
  while (!s.empty()) {
    std::uint64_t whole = 0;
    std::size_t i = 0;
    bool overflow = false;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (whole > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) overflow = true;
      whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
    }
    const bool had_whole = i > 0;
    std::uint64_t frac = 0, scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      for (; i < s.size() && is_digit(s[i]); ++i) {
        had_frac = true;
        // Digits beyond nanosecond precision of the largest unit cannot matter.
        if (scale < 1'000'000'000'000'000'000ULL) {
          frac = frac * 10 + static_cast<std::uint64_t>(s[i] - '0');
          scale *= 10;
        }
      }
    }
    if (!had_whole && !had_frac) return bad(text, "expected a number");
    if (overflow) return bad(text, "value too large");
    std::size_t j = i;
    while (j < s.size() && !is_digit(s[j]) && s[j] != '.') ++j;
    const std::string_view unit = s.substr(i, j - i);
    if (unit.empty()) return bad(text, "missing unit");
    const std::uint64_t per = unit_nanos(unit);
    if (per == 0) return bad(text, "unknown unit \"" + std::string(unit) + "\"");
    total += u128{whole} * per + u128{frac} * per / scale;
    if (total > kMaxMagnitude) return bad(text, "value too large");
    s.remove_prefix(j);
  }
  if (!negative && total == kMaxMagnitude) return bad(text, "value too large");
  const auto magnitude = static_cast<std::uint64_t>(total);
  const std::int64_t n =
      negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  return std::chrono::nanoseconds{n};
}

std::string format_duration(std::chrono::nanoseconds d) {
  const std::int64_t n = d.count();
  if (n == 0) return "0s";
  const bool negative = n < 0;
  std::uint64_t u = negative ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
  std::string out;
  if (u < 1'000'000'000) {
    // Sub-second values pick the largest unit that keeps an integer part.
    int prec = 0;
    const char* unit = "ns";
    if (u >= 1'000'000) {
      prec = 6;
      unit = "ms";
    } else if (u >= 1'000) {
      prec = 3;
      unit = "\xc2\xb5s";
    }
    const std::string frac = take_fraction(u, prec);
    out = std::to_string(u) + frac + unit;
  } else {
    const std::string frac = take_fraction(u, 9);
    out = std::to_string(u % 60) + frac + "s";
    u /= 60;
    if (u > 0) {
      out = std::to_string(u % 60) + "m" + out;
      u /= 60;
      if (u > 0) out = std::to_string(u) + "h" + out;
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace tp::messages
