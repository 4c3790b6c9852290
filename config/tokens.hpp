// Static join tokens ("proxy,node:secret" or "auth:/path/to/tokenfile") and the
// role names they and `--roles` use.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::config {

enum class system_role { auth, node, proxy, trusted_cluster };

std::string_view to_string(system_role role);

// Case-insensitive: "auth", "node", "proxy", "trusted_cluster".
result<system_role> parse_system_role(std::string_view text);

// A comma-separated list of the roles a `teleport` process can run (`--roles`):
// auth, node, proxy. Must not be empty.
result<std::set<system_role>> parse_service_roles(std::string_view text);

struct static_token {
  std::set<system_role> roles;
  std::string value;  // the secret; for the file form, filled from `file` by validation
  std::string file;   // absolute path when the token was written "roles:/path", else empty

  bool from_file() const { return !file.empty(); }
  bool operator==(const static_token&) const = default;
};

// Parses "roles:value". A value starting with '/' is the path of a file holding
// the token; the file is not read here (see read_token_file).
result<static_token> parse_static_token(std::string_view text);

// Reads a token file: surrounding whitespace is dropped, an empty file is an error.
result<std::string> read_token_file(const std::string& path);

}  // namespace tp::config
