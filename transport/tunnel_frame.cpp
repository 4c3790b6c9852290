#include "transport/tunnel_frame.hpp"

namespace tp::transport {

status line_reader::feed(std::string_view bytes) {
  for (char c : bytes) {
    tail_ = c == '\n' ? 0 : tail_ + 1;
    if (tail_ > max_tunnel_line) {
      return make_error("a tunnel line is longer than " + std::to_string(max_tunnel_line) +
                        " bytes");
    }
  }
  buf_.append(bytes);
  return {};
}

std::optional<std::string> line_reader::next() {
  const auto nl = buf_.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  std::string line = buf_.substr(0, nl);
  buf_.erase(0, nl + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace tp::transport
