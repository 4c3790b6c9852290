// `kind: role` (format v3): options plus allow/deny conditions.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/metadata.hpp"
#include "messages/resource_kind.hpp"

namespace tp::messages {

class map_reader;

// Certificate lifetime bounds from the manual (users: default 23h, at most 30h, at least 1m).
inline constexpr std::chrono::hours max_session_ttl_limit{30};
inline constexpr std::chrono::minutes min_session_ttl_limit{1};

struct role_options {
  std::chrono::nanoseconds max_session_ttl = max_session_ttl_limit;
  bool forward_agent = false;
  bool port_forwarding = true;
  std::string cert_format = "standard";  // "standard" or "oldssh" (no extensions, for old sshd)
  std::chrono::nanoseconds client_idle_timeout{0};  // 0: never disconnect idle clients
  bool disconnect_expired_cert = false;

  friend bool operator==(const role_options&, const role_options&) = default;
};

// Access to resources through tctl / the API: verbs on resource kinds.
struct role_rule {
  std::vector<std::string> resources;  // kind names or "*"
  std::vector<std::string> verbs;      // list, create, read, update, delete or "*"
  std::string where;                   // optional predicate, kept as text
  std::vector<std::string> actions;    // optional, kept as text

  friend bool operator==(const role_rule&, const role_rule&) = default;
};

struct role_conditions {
  std::vector<std::string> logins;  // may use templates like "{{internal.logins}}"
  std::vector<std::string> namespaces;
  // Label name -> accepted values ("*" matches any); YAML takes a string or a list.
  std::map<std::string, std::vector<std::string>> node_labels;
  std::vector<role_rule> rules;
  std::vector<std::string> kubernetes_groups;

  bool empty() const { return *this == role_conditions{}; }
  friend bool operator==(const role_conditions&, const role_conditions&) = default;
};

struct role_spec {
  role_options options;
  role_conditions allow;
  role_conditions deny;

  friend bool operator==(const role_spec&, const role_spec&) = default;
};

struct role {
  static constexpr resource_kind kind = resource_kind::role;
  static constexpr std::string_view default_version = "v3";

  std::string version{default_version};
  metadata meta;
  role_spec spec;

  friend bool operator==(const role&, const role&) = default;
};

// The verbs and resource names rules may use (besides "*").
inline constexpr std::string_view role_verbs[] = {"list", "create", "read", "update", "delete"};
inline constexpr std::string_view role_rule_resources[] = {
    "user",
    "node",
    "auth_server",
    "proxy",
    "role",
    "cert_authority",
    "token",
    "trusted_cluster",
    "remote_cluster",
    "namespace",
    "oidc",
    "saml",
    "github",
    "session",
    "event",
    "reverse_tunnel",
    "tunnel_connection",
    "cluster_auth_preference",
    "cluster_config",
    "cluster_name",
    "static_tokens",
    "auth_connector",
};

// The built-in role of the open source edition (the manual: 'only includes one role: "admin"'):
// every login in the user's traits, all nodes and namespaces, all resources.
role make_admin_role();

void decode_spec(map_reader& in, role& out);
nlohmann::ordered_json encode_spec(const role& in);
inline void clear_secrets(role&) {}

}  // namespace tp::messages
