// RFC 3339 instants as the manual's resources print them ("0001-01-01T00:00:00Z").
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::messages {

// Go's zero time (0001-01-01T00:00:00Z) in Unix seconds: resources use it for "unset/never".
inline constexpr std::int64_t go_zero_unix_seconds = -62135596800;

// A UTC instant with nanosecond precision covering years 1..9999 (a system_clock time_point
// cannot hold year 1, which the manual's records carry).
struct timestamp {
  std::int64_t unix_seconds = go_zero_unix_seconds;
  std::int32_t nanos = 0;  // 0..999'999'999

  bool is_zero() const { return unix_seconds == go_zero_unix_seconds && nanos == 0; }

  static timestamp from_time_point(std::chrono::system_clock::time_point tp);
  // Saturates to time_point::min()/max() outside the clock's range (the zero time -> min()).
  std::chrono::system_clock::time_point to_time_point() const;

  friend auto operator<=>(const timestamp&, const timestamp&) = default;
};

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" and normalizes to UTC.
tp::result<timestamp> parse_rfc3339(std::string_view text);

// Formats like Go's RFC3339Nano in UTC: fraction only when non-zero, trailing zeros dropped.
std::string format_rfc3339(const timestamp& t);

}  // namespace tp::messages
