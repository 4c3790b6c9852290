// Random identifiers and tokens from the CSPRNG, and how tokens are compared
// and keyed without leaking them through timing.
#pragma once

#include <string>
#include <string_view>

namespace tp::actors {

// An RFC 4122 version-4 UUID ("3f2b...-...."), for host IDs and cluster names.
std::string random_uuid();

// `bytes` random bytes as lowercase hex (a join or signup token: 16 bytes = 32 hex digits).
std::string random_hex(std::size_t bytes = 16);

// Lowercase hex SHA-256 of `data`. Tokens are looked up by this digest, so
// the lookup's timing depends on the digest, not on the secret's bytes.
std::string sha256_hex(std::string_view data);

// Equality in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace tp::actors
