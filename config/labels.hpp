// Node labels: static key=value pairs and command labels whose value is the
// periodic output of a command. Also the `--labels` flag syntax:
//   env=prod,uptime=[1m:"uptime -p"],kernel=[1h:"uname -r"]
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"

namespace tp::config {

// Running a label command more often than this would only burn CPU.
inline constexpr std::chrono::seconds min_label_period{1};

struct command_label {
  std::string name;                  // the label key
  std::vector<std::string> command;  // argv; argv[0] is looked up in PATH, no shell involved
  std::chrono::milliseconds period{};
  bool operator==(const command_label&) const = default;
};

struct labels_spec {
  std::map<std::string, std::string> static_labels;
  std::vector<command_label> commands;
};

// Label keys: 1-256 characters of [A-Za-z0-9._/-].
status check_label_key(std::string_view key);

// Splits a command line into argv the way a POSIX shell splits words: blanks
// separate, '...' is literal, "..." allows \" and \\, a backslash outside quotes
// escapes the next character. No expansion happens, and the command is NOT run by
// a shell: pipelines need an explicit `sh -c '...'`.
result<std::vector<std::string>> split_command(std::string_view line);

// Parses the `--labels` flag. A command label is [<period>:<command>]; the
// command may be double-quoted (needed when it contains ']' or ','), and is
// accepted unquoted too because the shell usually strips the quotes.
result<labels_spec> parse_labels_flag(std::string_view text);

}  // namespace tp::config
