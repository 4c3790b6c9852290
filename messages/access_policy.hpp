// What a user's roles allow on nodes, evaluated the way Teleport's role sets are:
// a role's deny conditions win over every allow; access needs one role whose
// allow conditions match both the login and the node's labels.
//
// Auth computes the policy once per certificate (login templates expanded from
// the user's traits) and signs it into the certificate, so nodes and proxies
// decide from the certificate alone: no role lookup on the SSH path, and a
// role change applies from the user's next login.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "messages/role.hpp"

namespace tp::messages {

using label_map = std::map<std::string, std::string>;
using label_selector = std::map<std::string, std::vector<std::string>>;
using trait_map = std::map<std::string, std::vector<std::string>>;

// Certificate extensions. `teleport-roles` is Teleport's own ({"version":"v1",
// "roles":[...]}); the policy is ours: the conditions of those roles.
inline constexpr std::string_view roles_extension = "teleport-roles";
inline constexpr std::string_view policy_extension = "teleport-access-policy";

// Empty selector: matches nothing. {"*": ["*"]}: everything. Otherwise every key
// must be on the node with a value matching one of the patterns ("*" globs).
bool labels_match(const label_selector& selector, const label_map& labels);

// Glob match where '*' stands for any run of characters.
bool glob_match(std::string_view pattern, std::string_view text);

// "{{internal.logins}}" / "{{internal.X}}" / "{{external.X}}" become the values of
// trait X (nothing when unset); other entries stay as written. Duplicates dropped.
std::vector<std::string> expand_logins(const std::vector<std::string>& logins,
                                       const trait_map& traits);

struct access_conditions {
  std::vector<std::string> logins;      // expanded
  std::vector<std::string> namespaces;  // empty: "default"
  label_selector node_labels;

  friend bool operator==(const access_conditions&, const access_conditions&) = default;
};

struct role_access {
  std::string role;
  access_conditions allow;
  access_conditions deny;

  friend bool operator==(const role_access&, const role_access&) = default;
};

struct access_policy {
  std::vector<role_access> roles;

  // The logins some role allows and none denies: the certificate's principals.
  std::vector<std::string> logins() const;
  // Listed by `tsh ls` and dialable through the proxy: a role allows the node's
  // labels and none denies them (the login is the node's to check).
  bool can_see(const label_map& labels, std::string_view ns = "default") const;
  // May `login` log in to a node with these labels? The error names the reason.
  tp::status check_login(const std::string& login, const label_map& labels,
                         std::string_view ns = "default") const;

  friend bool operator==(const access_policy&, const access_policy&) = default;
};

access_policy make_access_policy(const std::vector<role>& roles, const trait_map& traits);

// The shortest max_session_ttl of the roles (the limit when there are none).
std::chrono::nanoseconds max_session_ttl(const std::vector<role>& roles);
// Any role granting it grants it (Teleport's rule for both options).
bool forward_agent_allowed(const std::vector<role>& roles);
bool port_forwarding_allowed(const std::vector<role>& roles);

// The extension values. Decoding refuses anything but what encode writes.
std::string encode_roles_extension(const std::vector<std::string>& role_names);
tp::result<std::vector<std::string>> decode_roles_extension(std::string_view text);
std::string encode_access_policy(const access_policy& p);
tp::result<access_policy> decode_access_policy(std::string_view text);

}  // namespace tp::messages
