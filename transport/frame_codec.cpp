#include "transport/frame_codec.hpp"

#include <algorithm>
#include <cstdio>

namespace tp::transport {
namespace {

bool known_type(std::uint8_t t) {
  return t >= static_cast<std::uint8_t>(frame_type::message) &&
         t <= static_cast<std::uint8_t>(frame_type::pong);
}

std::string too_large(std::size_t size, std::size_t max) {
  return "frame payload of " + std::to_string(size) + " bytes exceeds the maximum of " +
         std::to_string(max) + " bytes";
}

}  // namespace

status encode_frame_header(const frame& f, char (&header)[frame_header_size],
                           std::size_t max_payload) {
  const std::size_t n = f.payload.size();
  if (n > max_payload || n > UINT32_MAX) return make_error(too_large(n, max_payload));
  if (!known_type(static_cast<std::uint8_t>(f.type))) return make_error("unknown frame type");
  const auto len = static_cast<std::uint32_t>(n);
  header[0] = static_cast<char>(len >> 24);
  header[1] = static_cast<char>(len >> 16);
  header[2] = static_cast<char>(len >> 8);
  header[3] = static_cast<char>(len);
  header[4] = static_cast<char>(f.type);
  return {};
}

status encode_frame(const frame& f, std::vector<char>& out, std::size_t max_payload) {
  char header[frame_header_size];
  if (auto st = encode_frame_header(f, header, max_payload); !st) return st;
  const std::size_t n = f.payload.size();
  out.reserve(out.size() + frame_header_size + n);
  out.insert(out.end(), header, header + frame_header_size);
  out.insert(out.end(), f.payload.begin(), f.payload.end());
  return {};
}

result<std::vector<char>> encode_frame(const frame& f, std::size_t max_payload) {
  std::vector<char> out;
  if (auto st = encode_frame(f, out, max_payload); !st) return st.err();
  return out;
}

frame_decoder::frame_decoder(std::size_t max_payload) : max_payload_(max_payload) {}

status frame_decoder::fail(std::string message) {
  error_ = make_error(std::move(message));
  current_ = frame{};
  return *error_;
}

status frame_decoder::feed(std::string_view bytes) {
  if (error_) return *error_;
  while (!bytes.empty()) {
    if (header_have_ < frame_header_size) {
      const std::size_t take = std::min(frame_header_size - header_have_, bytes.size());
      std::copy_n(bytes.data(), take, header_ + header_have_);
      header_have_ += take;
      bytes.remove_prefix(take);
      if (header_have_ < frame_header_size) break;
      const std::size_t len = (std::size_t{header_[0]} << 24) | (std::size_t{header_[1]} << 16) |
                              (std::size_t{header_[2]} << 8) | std::size_t{header_[3]};
      if (len > max_payload_) return fail(too_large(len, max_payload_));
      if (!known_type(header_[4])) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", header_[4]);
        return fail(std::string("unknown frame type ") + hex);
      }
      current_.type = static_cast<frame_type>(header_[4]);
      current_.payload.clear();
      payload_need_ = len;
    }
    const std::size_t take = std::min(payload_need_, bytes.size());
    // Grows with received bytes only: a hostile length costs nothing up front.
    current_.payload.insert(current_.payload.end(), bytes.begin(), bytes.begin() + take);
    payload_need_ -= take;
    bytes.remove_prefix(take);
    if (payload_need_ == 0) {
      ready_.push_back(std::move(current_));
      current_ = frame{};
      header_have_ = 0;
    }
  }
  return {};
}

std::optional<frame> frame_decoder::next() {
  if (ready_.empty()) return std::nullopt;
  frame f = std::move(ready_.front());
  ready_.pop_front();
  return f;
}

status frame_decoder::finish() const {
  if (error_) return *error_;
  if (header_have_ > 0 && header_have_ < frame_header_size)
    return make_error("the stream ended inside a frame header (" + std::to_string(header_have_) +
                      " of " + std::to_string(frame_header_size) + " bytes)");
  if (header_have_ == frame_header_size)
    return make_error("the stream ended inside a frame (" +
                      std::to_string(current_.payload.size()) + " of " +
                      std::to_string(current_.payload.size() + payload_need_) + " payload bytes)");
  return {};
}

}  // namespace tp::transport
