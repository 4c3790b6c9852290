#include "config/diagnostics.hpp"

namespace tp::config {

origin find_origin(const origin_map& origins, std::string_view key_path) {
  std::string path(key_path);
  while (!path.empty()) {
    if (auto it = origins.find(path); it != origins.end()) return it->second;
    const auto cut = path.find_last_of(".[");
    path.resize(cut == std::string::npos ? 0 : cut);
  }
  if (auto it = origins.find(""); it != origins.end()) return it->second;
  return {};
}

std::string format_diagnostic(const origin& where, std::string_view key_path,
                              std::string_view message) {
  std::string out;
  const bool is_flag = where.source.rfind("--", 0) == 0 || where.source.rfind("-", 0) == 0;
  if (!where.source.empty()) {
    out += where.source;
    if (where.line > 0) {
      out += ":" + std::to_string(where.line);
      if (where.column > 0) out += ":" + std::to_string(where.column);
    }
    out += ": ";
  }
  // A flag names the setting already; a file position needs the key path.
  if (!key_path.empty() && !is_flag) {
    out += key_path;
    out += ": ";
  }
  out += message;
  return out;
}

void diagnostics::error(const origin& where, std::string_view key_path, std::string_view message) {
  if (errors_.size() > max_errors) return;
  if (errors_.size() == max_errors) {
    errors_.push_back("too many errors; the rest are not shown");
    return;
  }
  errors_.push_back(format_diagnostic(where, key_path, message));
}

void diagnostics::warning(const origin& where, std::string_view key_path,
                          std::string_view message) {
  if (warnings_.size() >= max_errors) return;
  warnings_.push_back(format_diagnostic(where, key_path, message));
}

}  // namespace tp::config
