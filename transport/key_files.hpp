// Small, careful file helpers for key material.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::transport {

// Reads a whole regular file of at most max_bytes.
result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

// Writes `data` to `path` with the given mode (0600 for secrets): into a temporary file in
// the same directory, fsync, then rename over `path`, so readers see the old or the new
// content and never a partial secret with loose permissions.
status write_file_atomically(const std::filesystem::path& path, std::string_view data,
                             unsigned mode = 0600);

}  // namespace tp::transport
