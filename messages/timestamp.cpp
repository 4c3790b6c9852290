#include "messages/timestamp.hpp"

#include <cstdio>
#include <limits>

namespace tp::messages {
namespace {

constexpr std::int64_t kSecondsPerDay = 86'400;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t year;
  unsigned month, day;
};

civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at s[pos..] into out.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

tp::error bad(std::string_view text) {
  return tp::make_error("invalid time \"" + std::string(text) +
                        "\": expected RFC 3339 like 2018-05-17T03:51:00Z");
}

}  // namespace

timestamp timestamp::from_time_point(std::chrono::system_clock::time_point tp) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch());
  auto secs = std::chrono::floor<std::chrono::seconds>(ns);
  return timestamp{secs.count(), static_cast<std::int32_t>((ns - secs).count())};
}

std::chrono::system_clock::time_point timestamp::to_time_point() const {
  using clock = std::chrono::system_clock;
  using rep_duration = clock::duration;
  // Compare in seconds first so the multiplication below cannot overflow.
  const auto max_secs = std::chrono::floor<std::chrono::seconds>(rep_duration::max()).count();
  const auto min_secs = std::chrono::ceil<std::chrono::seconds>(rep_duration::min()).count();
  if (unix_seconds >= max_secs) return clock::time_point::max();
  if (unix_seconds <= min_secs) return clock::time_point::min();
  return clock::time_point{std::chrono::duration_cast<rep_duration>(
      std::chrono::seconds{unix_seconds} + std::chrono::nanoseconds{nanos})};
}

tp::result<timestamp> parse_rfc3339(std::string_view text) {
  const std::string_view s = text;
  int year, month, day, hour, minute, second;
  if (!digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
      !digits(s, 17, 2, second)) {
    return bad(text);
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 59) {
    return bad(text);
  }
  std::size_t pos = 19;
  std::int32_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++n) {
      if (n >= 9) return bad(text);  // finer than nanoseconds
      nanos = nanos * 10 + (s[pos] - '0');
    }
    if (n == 0) return bad(text);
    for (; n < 9; ++n) nanos *= 10;
  }
  std::int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad(text);
    }
    offset = (s[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return bad(text);
  }
  if (pos != s.size()) return bad(text);
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset;
  const timestamp t{secs, nanos};
  // An offset can move year 1 or 9999 out of the printable range.
  if (secs < go_zero_unix_seconds || secs >= days_from_civil(10000, 1, 1) * kSecondsPerDay) {
    return bad(text);
  }
  return t;
}

std::string format_rfc3339(const timestamp& t) {
  std::int64_t days = t.unix_seconds / kSecondsPerDay;
  std::int64_t rem = t.unix_seconds % kSecondsPerDay;
  if (rem < 0) {
    rem += kSecondsPerDay;
    --days;
  }
  const civil c = civil_from_days(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(c.year),
                c.month, c.day, static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  std::string out = buf;
  if (t.nanos > 0) {
    std::snprintf(buf, sizeof buf, ".%09d", static_cast<int>(t.nanos));
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  return out + "Z";
}

}  // namespace tp::messages
