// Control-plane framing: [u32 big-endian payload length][u8 frame type][payload].
// Payloads are opaque bytes (the actors layer puts CAF-serialized messages in them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"

namespace tp::transport {

enum class frame_type : std::uint8_t {
  message = 1,  // opaque payload for the layer above
  error = 2,    // UTF-8 reason; the sender closes the connection right after it
  ping = 3,     // keepalive: the server answers pong and resets its idle timer
  pong = 4,
};

inline constexpr std::size_t frame_header_size = 5;
inline constexpr std::size_t default_max_frame_payload = 16u << 20;  // 16 MiB

struct frame {
  frame_type type = frame_type::message;
  std::vector<char> payload;

  static frame message(std::string_view bytes) { return make(frame_type::message, bytes); }
  static frame make(frame_type type, std::string_view bytes) {
    return frame{type, std::vector<char>(bytes.begin(), bytes.end())};
  }
  std::string_view text() const { return {payload.data(), payload.size()}; }
  bool operator==(const frame&) const = default;
};

// Appends the encoded frame to `out`; refuses payloads above `max_payload`
// (then `out` is unchanged).
// The frame's header alone, for writers that send header and payload as two
// buffers instead of copying the payload behind the header.
status encode_frame_header(const frame& f, char (&header)[frame_header_size],
                           std::size_t max_payload = default_max_frame_payload);
status encode_frame(const frame& f, std::vector<char>& out,
                    std::size_t max_payload = default_max_frame_payload);
result<std::vector<char>> encode_frame(const frame& f,
                                       std::size_t max_payload = default_max_frame_payload);

// Incremental decoder: feed it whatever chunks the socket produced. Memory
// grows with bytes actually received, never with a declared length. The
// first error (oversize, unknown type) is sticky: later input is ignored.
class frame_decoder {
 public:
  explicit frame_decoder(std::size_t max_payload = default_max_frame_payload);

  status feed(std::string_view bytes);
  std::optional<frame> next();  // the oldest complete frame, if any
  std::size_t ready() const noexcept { return ready_.size(); }
  bool failed() const noexcept { return error_.has_value(); }
  // At end of stream: an error when the stream failed or stopped inside a frame.
  status finish() const;

 private:
  status fail(std::string message);

  std::size_t max_payload_;
  unsigned char header_[frame_header_size] = {};
  std::size_t header_have_ = 0;
  std::size_t payload_need_ = 0;  // bytes of the current payload still missing
  frame current_;
  std::deque<frame> ready_;
  std::optional<error> error_;
};

}  // namespace tp::transport
