// Backend key rules and prefix matching, shared by every backend.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "persistence/backend.hpp"

namespace tp::persistence {

// LMDB's compiled-in maximum key size; etcd allows more, but keys must be
// portable between backends.
inline constexpr std::size_t max_key_size = 511;

// A key is non-empty, starts with '/', is at most max_key_size bytes and
// contains no NUL byte. bad_parameter with a message naming the key otherwise.
db_status validate_key(std::string_view key);

// Same rules as keys ("/" alone is the whole keyspace).
db_status validate_prefix(std::string_view prefix);

// True if key is in the subtree named by prefix (see backend.hpp).
bool in_prefix(std::string_view key, std::string_view prefix) noexcept;

// A short, printable rendering of untrusted key bytes for error messages.
std::string printable_key(std::string_view key);

// For compare_and_swap: ok if `current` (a get of key) holds `expected`; else its
// error (not_found...) or compare_failed naming the key.
db_status holds_expected(const db_result<item>& current, std::string_view key,
                         std::string_view expected);

}  // namespace tp::persistence
