// Where a setting came from, and the collected list of problems found while
// reading a configuration: every message names the file:line:column (or the flag)
// and the key path, e.g.
//   /etc/teleport.yaml:12:5: ssh_service.listen_addr: invalid port "99999" (expected 1-65535)
//   --labels: label "kernel": missing ']' after the command
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tp::config {

struct origin {
  std::string source;  // file name, or a flag such as "--token"; empty = unknown
  int line = 0;        // 1-based; 0 = no position (a flag, a whole file)
  int column = 0;      // 1-based
};

// Key path ("auth_service.tokens[1]") -> where its value was written.
using origin_map = std::map<std::string, origin>;

// The origin of `key_path`, or of its closest ancestor that has one.
origin find_origin(const origin_map& origins, std::string_view key_path);

std::string format_diagnostic(const origin& where, std::string_view key_path,
                              std::string_view message);

// Collects problems instead of stopping at the first, so `teleport configure --test`
// can show them all. Hostile input cannot make the list grow without bound.
class diagnostics {
 public:
  static constexpr std::size_t max_errors = 100;

  void error(const origin& where, std::string_view key_path, std::string_view message);
  void warning(const origin& where, std::string_view key_path, std::string_view message);

  bool has_errors() const { return !errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
};

}  // namespace tp::config
