// Go-style durations ("1h0m0s", "30s", "1.5h", "300ms"), as teleport.yaml writes them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::config {

// Parses a sequence of <number><unit> terms (units ns, us, µs, ms, s, m, h; the
// number may have a fraction), optionally signed; a bare "0" is zero. Parts finer
// than a millisecond are truncated. Values beyond Go's range (~292 years) are errors.
result<std::chrono::milliseconds> parse_duration(std::string_view text);

// The inverse in Go's spelling: "1h0m0s", "1m30s", "1.5s", "300ms", "0s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace tp::config
