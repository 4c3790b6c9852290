// Bounded reads of small text files (config, token files) with errors a user can act on.
#pragma once

#include <cstddef>
#include <string>

#include "messages/result.hpp"

namespace tp::config {

// Reads a regular file of at most `max_size` bytes. Errors name the path and the
// reason (strerror), e.g. `cannot read "/x": No such file or directory`.
result<std::string> read_small_file(const std::string& path, std::size_t max_size);

}  // namespace tp::config
