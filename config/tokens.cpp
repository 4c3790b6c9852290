#include "config/tokens.hpp"

#include "config/read_file.hpp"
#include "config/values.hpp"

namespace tp::config {

std::string_view to_string(system_role role) {
  switch (role) {
    case system_role::auth:
      return "auth";
    case system_role::node:
      return "node";
    case system_role::proxy:
      return "proxy";
    case system_role::trusted_cluster:
      return "trusted_cluster";
  }
  return "?";
}

result<system_role> parse_system_role(std::string_view text) {
  const std::string r = to_lower(trim(text));
  if (r == "auth") return system_role::auth;
  if (r == "node") return system_role::node;
  if (r == "proxy") return system_role::proxy;
  if (r == "trusted_cluster") return system_role::trusted_cluster;
  return make_error("unknown role " + quote(text) +
                    " (expected auth, node, proxy or trusted_cluster)");
}

result<std::set<system_role>> parse_service_roles(std::string_view text) {
  std::set<system_role> roles;
  std::string_view s = text;
  while (true) {
    const auto comma = s.find(',');
    const std::string_view item = trim(s.substr(0, comma));
    if (item.empty())
      return make_error("empty role in " + quote(text) + " (expected e.g. auth,node,proxy)");
    auto role = parse_system_role(item);
    if (!role || *role == system_role::trusted_cluster) {
      return make_error("unknown role " + quote(item) + " (expected auth, node or proxy)");
    }
    roles.insert(*role);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return roles;
}

result<static_token> parse_static_token(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return make_error(
        "invalid token " + quote(text) +
        " (expected <roles>:<token> or <roles>:/path/to/file, e.g. \"node,proxy:secret\")");
  }
  static_token t;
  std::string_view roles = text.substr(0, colon);
  while (true) {
    const auto comma = roles.find(',');
    auto role = parse_system_role(roles.substr(0, comma));
    if (!role) return role.err();
    t.roles.insert(*role);
    if (comma == std::string_view::npos) break;
    roles.remove_prefix(comma + 1);
  }
  const std::string_view value = trim(text.substr(colon + 1));
  if (value.empty()) return make_error("token " + quote(text) + " has an empty value");
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return make_error("token value contains control characters");
    }
  }
  if (value.front() == '/') {
    t.file = std::string(value);
  } else {
    t.value = std::string(value);
  }
  return t;
}

result<std::string> read_token_file(const std::string& path) {
  auto data = read_small_file(path, 64 * 1024);  // a token is a short secret
  if (!data) return make_error("token file: " + data.message());
  const std::string_view token = trim(*data);
  if (token.empty()) return make_error("token file " + quote(path) + " is empty");
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return make_error("token file " + quote(path) +
                        " holds more than one line or control characters");
    }
  }
  return std::string(token);
}

}  // namespace tp::config
