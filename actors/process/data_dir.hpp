// Creating the daemon's data directory and PID file with safe permissions.
#pragma once

#include <string>

#include "messages/result.hpp"

namespace tp::actors {

// Creates `path` (and missing parents) with mode 0700; tightens an existing
// directory we own to 0700. Errors say what to fix.
tp::status ensure_private_dir(const std::string& path);

// Writes this process's PID followed by a newline, atomically (temp + rename).
tp::status write_pid_file(const std::string& path);

}  // namespace tp::actors
