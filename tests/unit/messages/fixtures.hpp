// Test helpers: fixture files under tests/data/messages/.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tp::messages::testing {

inline std::string read_fixture(const std::string& name) {
  const std::filesystem::path path =
      std::filesystem::path(TP_SOURCE_DIR) / "tests" / "data" / "messages" / name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Drops full-line comments: the manual's examples are annotated, `tctl get` output is not.
inline std::string strip_comment_lines(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    const auto first = line.find_first_not_of(' ');
    if (first == std::string_view::npos || line[first] != '#') {
      out += line;
      out += '\n';
    }
    start = end + 1;
  }
  return out;
}

}  // namespace tp::messages::testing
