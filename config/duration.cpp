#include "config/duration.hpp"

#include <cstdint>

#include "config/values.hpp"

namespace tp::config {
namespace {

using u128 = unsigned __int128;
constexpr u128 max_ns = static_cast<u128>(INT64_MAX);  // Go's time.Duration range

// Nanoseconds per unit; 0 when `unit` is not a unit.
std::uint64_t unit_ns(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs")
    return 1'000;  // µs in two spellings
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto fail = [&](std::string why) {
    return make_error("invalid duration " + quote(text) + ": " + why +
                      " (examples: 30s, 1m, 1h0m0s, 1.5h, 300ms)");
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::milliseconds{0};
  if (s.empty()) return fail("empty");

  u128 total = 0;
  while (!s.empty()) {
    // <whole>[.<fraction>]
    u128 whole = 0;
    std::size_t i = 0;
    bool any_digit = false;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      whole = whole * 10 + static_cast<unsigned>(s[i] - '0');
      if (whole > max_ns) return fail("out of range");
      any_digit = true;
    }
    u128 frac = 0, frac_scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      for (; i < s.size() && is_digit(s[i]); ++i) {
        any_digit = true;
        if (frac_scale < 1'000'000'000'000'000'000ULL) {  // digits beyond 1e-18 cannot matter
          frac = frac * 10 + static_cast<unsigned>(s[i] - '0');
          frac_scale *= 10;
        }
      }
    }
    if (!any_digit) return fail("expected a number at " + quote(s));
    std::size_t j = i;
    while (j < s.size() && !is_digit(s[j]) && s[j] != '.') ++j;
    const std::string_view unit = s.substr(i, j - i);
    if (unit.empty()) return fail("missing unit after the number (use ns, us, ms, s, m or h)");
    const std::uint64_t per = unit_ns(unit);
    if (per == 0) return fail("unknown unit " + quote(unit) + " (use ns, us, ms, s, m or h)");
    total += whole * per + frac * per / frac_scale;
    if (total > max_ns) return fail("out of range");
    s.remove_prefix(j);
  }
  const auto ms = static_cast<std::int64_t>(total / 1'000'000);
  return std::chrono::milliseconds{negative ? -ms : ms};
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  // Work with the magnitude; INT64_MIN cannot come from parse_duration but be safe.
  std::uint64_t v =
      ms < 0 ? static_cast<std::uint64_t>(-(ms + 1)) + 1 : static_cast<std::uint64_t>(ms);
  if (ms < 0) out += '-';
  if (v < 1000) return out + std::to_string(v) + "ms";
  const std::uint64_t h = v / 3'600'000, m = v / 60'000 % 60, s = v / 1000 % 60, frac = v % 1000;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac > 0) {
    std::string f = std::to_string(frac + 1000).substr(1);  // three digits, leading zeros kept
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out + "s";
}

}  // namespace tp::config
