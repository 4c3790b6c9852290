// How an item is stored as an LMDB value. Layout (little-endian):
//   byte 0      format version (1)
//   bytes 1-8   expiry, milliseconds since the Unix epoch as int64; 0 = never
//   bytes 9-16  revision, uint64
//   bytes 17-   the value bytes
// The key is the LMDB key itself. Expiring items also have an entry in a
// separate index (expiry ms big-endian -> key) that the sweeper walks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "persistence/backend.hpp"

namespace tp::persistence::record {

inline constexpr std::size_t header_size = 17;

struct view {
  std::int64_t expires_ms = 0;  // 0 = never
  std::uint64_t revision = 0;
  std::string_view value;  // points into the decoded bytes
};

std::string encode(std::string_view value, std::int64_t expires_ms, std::uint64_t revision);

// nullopt if the bytes are not a record we wrote (wrong size or version).
std::optional<view> decode(std::string_view bytes) noexcept;

// Expired at now_ms? (an expiry equal to now counts as expired)
inline bool expired(const view& v, std::int64_t now_ms) noexcept {
  return v.expires_ms != 0 && v.expires_ms <= now_ms;
}

// The expiry (ms since the epoch, 0 = never) of an item written now with `ttl`;
// bad_parameter for a TTL that is not positive or longer than 100 years.
db_result<std::int64_t> expiry_of(ttl_ms ttl);

std::int64_t to_ms(clock::time_point t) noexcept;
clock::time_point from_ms(std::int64_t ms) noexcept;
std::int64_t now_ms() noexcept;

// Big-endian 8 bytes, so LMDB's bytewise order is time order.
std::string expiry_index_key(std::int64_t expires_ms);
std::int64_t parse_expiry_index_key(std::string_view bytes) noexcept;

}  // namespace tp::persistence::record
