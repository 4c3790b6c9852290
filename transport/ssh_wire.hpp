// SSH wire encoding (RFC 4251 section 5): uint32/uint64 big-endian, length-prefixed
// strings, mpints; plus the base64 used by authorized_keys lines and key files.
//
// The reader is for hostile input: it never reads past the end of its buffer, and every
// failure is an error naming the field and the byte offset, so a parser built on it can
// report "where" without extra bookkeeping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "messages/base64.hpp"
#include "messages/result.hpp"

namespace tp::transport {

class wire_writer {
 public:
  void u8(std::uint8_t v);
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  // A length-prefixed byte string. Asserts that the length fits in 32 bits.
  void string(std::string_view s);
  // An mpint from an unsigned big-endian magnitude (leading zero bytes are allowed in the
  // input and dropped; a 0x00 byte is added when the top bit is set, as the format demands).
  void mpint(std::string_view magnitude);
  void raw(std::string_view bytes);

  const std::string& data() const& { return out_; }
  std::string take() && { return std::move(out_); }
  std::size_t size() const { return out_.size(); }

 private:
  std::string out_;
};

class wire_reader {
 public:
  // `what` names the structure in error messages ("certificate", "public key"...).
  explicit wire_reader(std::string_view data, std::string what = "data")
      : data_(data), what_(std::move(what)) {}

  // Each getter names the field it reads, for the error message.
  result<std::uint8_t> u8(std::string_view field);
  result<std::uint32_t> u32(std::string_view field);
  result<std::uint64_t> u64(std::string_view field);
  // A length-prefixed string; the view points into the reader's buffer.
  result<std::string_view> string(std::string_view field);
  // Like string(), but refuses embedded NUL bytes (names, principals, key ids) and
  // strings longer than max_len.
  result<std::string_view> text(std::string_view field, std::size_t max_len = 4096);
  // An mpint; returns its unsigned big-endian magnitude without leading zeros. Refuses
  // negative values, non-minimal encodings and magnitudes above max_bytes.
  result<std::string_view> mpint(std::string_view field, std::size_t max_bytes = 2048);
  result<std::string_view> raw(std::size_t n, std::string_view field);

  bool empty() const { return pos_ == data_.size(); }
  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t offset() const { return pos_; }
  // Succeeds only if everything was consumed.
  status expect_end(std::string_view after_field);
  // An error mentioning the current offset, for checks made by the caller.
  error fail(std::string_view field, std::string_view problem) const;

 private:
  std::string_view data_;
  std::string what_;
  std::size_t pos_ = 0;
};

// The base64 of authorized_keys lines and key files (messages/base64.hpp).
using messages::base64_decode;
using messages::base64_encode;
using messages::base64_encode_unpadded;

}  // namespace tp::transport
