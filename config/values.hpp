// Scalar parsing shared by the YAML reader and the CLI flags: booleans, integers, quoting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::config {

// YAML 1.1 style booleans, case-insensitive: yes/no, true/false, on/off.
result<bool> parse_bool(std::string_view text);

// A non-negative decimal integer no larger than `max`.
result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max = UINT64_MAX);

// `text` in double quotes for an error message: control characters escaped and
// long values shortened, so hostile input cannot garble a terminal or a log.
std::string quote(std::string_view text);

// ASCII lower-case copy.
std::string to_lower(std::string_view text);

// Removes leading and trailing ASCII whitespace.
std::string_view trim(std::string_view text);

}  // namespace tp::config
