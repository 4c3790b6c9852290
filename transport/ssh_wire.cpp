#include "transport/ssh_wire.hpp"

#include <array>
#include <cassert>
#include <limits>

namespace tp::transport {

void wire_writer::u8(std::uint8_t v) {
  out_.push_back(static_cast<char>(v));
}

void wire_writer::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<char>(v >> shift));
}

void wire_writer::u64(std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<char>(v >> shift));
}

void wire_writer::string(std::string_view s) {
  assert(s.size() <= std::numeric_limits<std::uint32_t>::max());
  u32(static_cast<std::uint32_t>(s.size()));
  out_.append(s);
}

void wire_writer::mpint(std::string_view magnitude) {
  while (!magnitude.empty() && magnitude.front() == '\0') magnitude.remove_prefix(1);
  const bool pad = !magnitude.empty() && (static_cast<unsigned char>(magnitude.front()) & 0x80);
  u32(static_cast<std::uint32_t>(magnitude.size() + (pad ? 1 : 0)));
  if (pad) out_.push_back('\0');
  out_.append(magnitude);
}

void wire_writer::raw(std::string_view bytes) {
  out_.append(bytes);
}

error wire_reader::fail(std::string_view field, std::string_view problem) const {
  std::string m;
  m.append(what_).append(": ").append(field).append(" at byte ");
  m.append(std::to_string(pos_)).append(": ").append(problem);
  return make_error(std::move(m));
}

result<std::string_view> wire_reader::raw(std::size_t n, std::string_view field) {
  if (n > remaining()) {
    return fail(field, "needs " + std::to_string(n) + " bytes but only " +
                           std::to_string(remaining()) + " are left (truncated?)");
  }
  std::string_view v = data_.substr(pos_, n);
  pos_ += n;
  return v;
}

result<std::uint8_t> wire_reader::u8(std::string_view field) {
  auto b = raw(1, field);
  if (!b) return b.err();
  return static_cast<std::uint8_t>((*b)[0]);
}

result<std::uint32_t> wire_reader::u32(std::string_view field) {
  auto b = raw(4, field);
  if (!b) return b.err();
  std::uint32_t v = 0;
  for (char c : *b) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

result<std::uint64_t> wire_reader::u64(std::string_view field) {
  auto b = raw(8, field);
  if (!b) return b.err();
  std::uint64_t v = 0;
  for (char c : *b) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

result<std::string_view> wire_reader::string(std::string_view field) {
  const std::size_t start = pos_;
  auto len = u32(field);
  if (!len) return len.err();
  if (*len > remaining()) {
    const std::size_t left = remaining();
    pos_ = start;  // report the offset of the length, where the problem is
    return fail(field, "length " + std::to_string(*len) + " exceeds the " + std::to_string(left) +
                           " bytes left (truncated?)");
  }
  return raw(*len, field);
}

result<std::string_view> wire_reader::text(std::string_view field, std::size_t max_len) {
  const std::size_t start = pos_;
  auto s = string(field);
  if (!s) return s;
  if (s->size() > max_len) {
    pos_ = start;
    return fail(field, "is " + std::to_string(s->size()) + " bytes long, more than the " +
                           std::to_string(max_len) + " allowed");
  }
  if (s->find('\0') != std::string_view::npos) {
    pos_ = start;
    return fail(field, "contains a NUL byte");
  }
  return s;
}

result<std::string_view> wire_reader::mpint(std::string_view field, std::size_t max_bytes) {
  const std::size_t start = pos_;
  auto s = string(field);
  if (!s) return s;
  std::string_view v = *s;
  if (!v.empty() && (static_cast<unsigned char>(v[0]) & 0x80)) {
    pos_ = start;
    return fail(field, "is negative");
  }
  if (v.size() >= 2 && v[0] == '\0' && !(static_cast<unsigned char>(v[1]) & 0x80)) {
    pos_ = start;
    return fail(field, "has a superfluous leading zero byte");
  }
  if (v.size() == 1 && v[0] == '\0') {
    pos_ = start;
    return fail(field, "encodes zero with a byte (zero must be empty)");
  }
  if (!v.empty() && v[0] == '\0') v.remove_prefix(1);
  if (v.size() > max_bytes) {
    pos_ = start;
    return fail(field, "is " + std::to_string(v.size() * 8) + " bits, more than the " +
                           std::to_string(max_bytes * 8) + " allowed");
  }
  return v;
}

status wire_reader::expect_end(std::string_view after_field) {
  if (empty()) return {};
  return fail("end",
              std::to_string(remaining()) + " unexpected bytes after " + std::string(after_field));
}

}  // namespace tp::transport
