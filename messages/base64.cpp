#include "messages/base64.hpp"

#include <array>
#include <cstdint>

namespace tp::messages {

namespace {

constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encode(std::string_view in, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                            (static_cast<unsigned char>(in[i + 1]) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out.push_back(k_alphabet[(v >> 18) & 63]);
    out.push_back(k_alphabet[(v >> 12) & 63]);
    out.push_back(k_alphabet[(v >> 6) & 63]);
    out.push_back(k_alphabet[v & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(k_alphabet[(v >> 18) & 63]);
    out.push_back(k_alphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(k_alphabet[(v >> 6) & 63]);
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

constexpr std::array<signed char, 256> make_decode_table() {
  std::array<signed char, 256> t{};
  for (auto& x : t) x = -1;
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(k_alphabet[i])] = static_cast<signed char>(i);
  return t;
}
constexpr auto k_decode = make_decode_table();

}  // namespace

std::string base64_encode(std::string_view bytes) {
  return encode(bytes, true);
}
std::string base64_encode_unpadded(std::string_view bytes) {
  return encode(bytes, false);
}

result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return make_error("base64: length " + std::to_string(text.size()) +
                      " is not a multiple of 4 (truncated or missing '=' padding?)");
  }
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') {
    ++pad;
    if (text[text.size() - 2] == '=') ++pad;  // size is a non-zero multiple of 4 here
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  const std::size_t data_chars = text.size() - pad;
  for (std::size_t i = 0; i < data_chars; ++i) {
    const signed char d = k_decode[static_cast<unsigned char>(text[i])];
    if (d < 0) {
      return make_error("base64: invalid character at position " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    if (i % 4 == 3) {
      out.push_back(static_cast<char>(acc >> 16));
      out.push_back(static_cast<char>(acc >> 8));
      out.push_back(static_cast<char>(acc));
      acc = 0;
    }
  }
  if (pad == 2) {  // 2 chars = 12 bits -> 1 byte, 4 bits must be zero
    if (acc & 0xf) return make_error("base64: non-zero bits in the final character");
    out.push_back(static_cast<char>(acc >> 4));
  } else if (pad == 1) {  // 3 chars = 18 bits -> 2 bytes, 2 bits must be zero
    if (acc & 0x3) return make_error("base64: non-zero bits in the final character");
    out.push_back(static_cast<char>(acc >> 10));
    out.push_back(static_cast<char>(acc >> 2));
  }
  return out;
}

}  // namespace tp::messages
