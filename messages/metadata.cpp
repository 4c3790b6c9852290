#include "messages/metadata.hpp"

namespace tp::messages {

tp::status validate_name(std::string_view name) {
  if (name.empty()) return tp::make_error("must not be empty");
  if (name.size() > 255) return tp::make_error("is longer than 255 bytes");
  if (name == "." || name == "..") return tp::make_error("must not be \".\" or \"..\"");
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/') return tp::make_error("must not contain '/'");
    if (u <= 0x20 || u == 0x7f) {
      return tp::make_error("must not contain whitespace or control characters");
    }
  }
  return {};
}

tp::status validate_label_key(std::string_view key) {
  if (key.empty()) return tp::make_error("label key must not be empty");
  if (key.size() > 255) return tp::make_error("label key is longer than 255 bytes");
  for (const char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '.' || c == '-' || c == '_' || c == '*';
    if (!ok) {
      return tp::make_error("label key \"" + std::string(key) +
                            "\" may contain only letters, digits and / . - _ *");
    }
  }
  return {};
}

bool is_expired(const metadata& m, std::chrono::system_clock::time_point now) {
  return !m.expires.is_zero() && m.expires.to_time_point() <= now;
}

}  // namespace tp::messages
