#include "persistence/key_path.hpp"

#include <cstdio>

namespace tp::persistence {

namespace {

db_status check(std::string_view what, std::string_view key) {
  if (key.empty()) {
    return {error_kind::bad_parameter, std::string(what) + " is empty; it must start with '/'"};
  }
  if (key.front() != '/') {
    return {error_kind::bad_parameter,
            std::string(what) + " " + printable_key(key) + " does not start with '/'"};
  }
  if (key.size() > max_key_size) {
    return {error_kind::bad_parameter, std::string(what) + " " + printable_key(key) + " is " +
                                           std::to_string(key.size()) + " bytes long; at most " +
                                           std::to_string(max_key_size) + " are allowed"};
  }
  if (key.find('\0') != std::string_view::npos) {
    return {error_kind::bad_parameter,
            std::string(what) + " " + printable_key(key) + " contains a NUL byte"};
  }
  return {};
}

}  // namespace

db_status validate_key(std::string_view key) {
  return check("key", key);
}

db_status validate_prefix(std::string_view prefix) {
  return check("prefix", prefix);
}

bool in_prefix(std::string_view key, std::string_view prefix) noexcept {
  if (!key.starts_with(prefix)) return false;
  // A prefix ending in '/' already stops at a path boundary; otherwise the key
  // must be the prefix itself or continue with '/'.
  return prefix.ends_with('/') || key.size() == prefix.size() || key[prefix.size()] == '/';
}

std::string printable_key(std::string_view key) {
  constexpr std::size_t shown = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < key.size() && i < shown; ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += key.size() > shown ? "\"..." : "\"";
  return out;
}

db_status holds_expected(const db_result<item>& current, std::string_view key,
                         std::string_view expected) {
  if (!current) return error_as<void>(current);
  if (current->value != expected) {
    return {error_kind::compare_failed,
            "key " + printable_key(key) + " does not have the expected value"};
  }
  return {};
}

}  // namespace tp::persistence
