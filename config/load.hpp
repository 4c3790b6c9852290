// Loading and checking teleport.yaml: the file alone, defaults underneath.
// (`teleport start` combines the file with flags: see start_flags.hpp.)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "messages/result.hpp"

namespace tp::config {

// Everything found while loading, so a caller can print all of it.
struct load_report {
  std::optional<teleport_config> config;  // set only when there are no errors
  std::vector<std::string> errors;        // "file:line:col: key.path: message", in file order
  std::vector<std::string> warnings;      // also in config->warnings

  bool ok() const { return errors.empty(); }
};

// Parses and validates YAML text; `source` names it in messages (a file path).
load_report check_config_text(std::string_view text, const std::string& source);

// Reads `path` (an unreadable or missing file is an error) and checks it.
load_report check_config_file(const std::string& path);

// The same, as a result: on failure the message is all errors, one per line.
result<teleport_config> load_config_text(std::string_view text, const std::string& source);
result<teleport_config> load_config_file(const std::string& path);

// For `teleport configure --test FILE`: every error, empty when the file is good.
std::vector<std::string> validate_config_file(const std::string& path);

// The errors of a report as one message, one per line.
std::string join_lines(const std::vector<std::string>& lines);

// Turns a report into a result.
result<teleport_config> to_result(load_report report);

}  // namespace tp::config
