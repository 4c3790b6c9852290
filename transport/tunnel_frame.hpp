// The heartbeat stream of a reverse tunnel: newline-terminated lines, each at most
// max_tunnel_line bytes. The root writes its host certificate line first, then one
// JSON object per heartbeat it answers; the leaf writes one JSON object per
// heartbeat ({"cluster": ..., "nodes": N, ...}). A longer line is a protocol error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::transport {

inline constexpr std::size_t max_tunnel_line = 64 * 1024;

class line_reader {
 public:
  // Appends bytes; an error once an unterminated line passes the limit.
  status feed(std::string_view bytes);
  // The next complete line without its '\n' (a trailing '\r' is dropped too).
  std::optional<std::string> next();

 private:
  std::string buf_;
  std::size_t tail_ = 0;  // bytes of the unterminated last line
};

}  // namespace tp::transport
