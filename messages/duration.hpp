// Go-style durations ("30h0m0s", "1m30s", "500ms"), the form the manual's resources use.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::messages {

// Parses a sequence of decimal numbers with units (ns, us, µs, ms, s, m, h), e.g. "1h30m",
// "1.5s", "-2m"; "0" needs no unit. Rejects missing units and values beyond ±292 years.
tp::result<std::chrono::nanoseconds> parse_duration(std::string_view text);

// Formats like Go's time.Duration.String(): "30h0m0s", "5m0s", "1.5s", "500ms", "0s".
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace tp::messages
