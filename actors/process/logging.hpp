// Process-wide logging set-up from the `teleport.log` section (spdlog).
#pragma once

#include <string>

#include "messages/result.hpp"

namespace tp::actors {

// output: "stdout", "stderr" or "syslog"; severity: DEBUG, INFO, WARN or ERROR.
// `debug` (the -d flag) forces DEBUG to stderr as the manual describes.
tp::status setup_logging(const std::string& output, const std::string& severity, bool debug);

}  // namespace tp::actors
