// The header every resource carries under `metadata:`.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "messages/result.hpp"
#include "messages/timestamp.hpp"

namespace tp::messages {

inline constexpr std::string_view default_namespace = "default";

struct metadata {
  std::string name;                               // required, unique per kind
  std::string namespace_name{default_namespace};  // YAML `namespace`
  std::string description;
  std::map<std::string, std::string> labels;
  timestamp expires;  // zero time: never expires

  friend bool operator==(const metadata&, const metadata&) = default;
};

// Names become backend key segments (`/users/<name>`): non-empty, at most 255 bytes, no '/',
// no whitespace or control characters, not "." or "..".
tp::status validate_name(std::string_view name);

// Label keys as the manual uses them: letters, digits and "/.-_*".
tp::status validate_label_key(std::string_view key);

// True when the record has an expiry and it is not after `now`.
bool is_expired(const metadata& m, std::chrono::system_clock::time_point now);

}  // namespace tp::messages
