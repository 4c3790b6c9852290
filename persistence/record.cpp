#include "persistence/record.hpp"

namespace tp::persistence::record {

namespace {

constexpr unsigned char format_version = 1;

void put_le(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_le(const char* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

std::string encode(std::string_view value, std::int64_t expires_ms, std::uint64_t revision) {
  std::string out;
  out.reserve(header_size + value.size());
  out.push_back(static_cast<char>(format_version));
  put_le(out, static_cast<std::uint64_t>(expires_ms));
  put_le(out, revision);
  out.append(value);
  return out;
}

std::optional<view> decode(std::string_view bytes) noexcept {
  if (bytes.size() < header_size || static_cast<unsigned char>(bytes[0]) != format_version) {
    return std::nullopt;
  }
  view v;
  v.expires_ms = static_cast<std::int64_t>(get_le(bytes.data() + 1));
  v.revision = get_le(bytes.data() + 9);
  v.value = bytes.substr(header_size);
  return v;
}

std::int64_t to_ms(clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

clock::time_point from_ms(std::int64_t ms) noexcept {
  return clock::time_point(
      std::chrono::duration_cast<clock::duration>(std::chrono::milliseconds(ms)));
}

db_result<std::int64_t> expiry_of(ttl_ms ttl) {
  constexpr auto max_ttl = std::chrono::hours(24 * 365 * 100);
  if (!ttl) return std::int64_t{0};
  if (ttl->count() <= 0) {
    return {error_kind::bad_parameter,
            "ttl must be positive, got " + std::to_string(ttl->count()) + "ms"};
  }
  if (*ttl > max_ttl) return {error_kind::bad_parameter, "ttl is longer than 100 years"};
  return now_ms() + ttl->count();
}

std::int64_t now_ms() noexcept {
  return to_ms(clock::now());
}

std::string expiry_index_key(std::int64_t expires_ms) {
  auto v = static_cast<std::uint64_t>(expires_ms);
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * (7 - i))) & 0xff);
  return out;
}

std::int64_t parse_expiry_index_key(std::string_view bytes) noexcept {
  if (bytes.size() != 8) return 0;
  std::uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return static_cast<std::int64_t>(v);
}

}  // namespace tp::persistence::record
