#include "messages/access_policy.hpp"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

namespace tp::messages {
namespace {

using nlohmann::json;

constexpr std::string_view wildcard = "*";
constexpr std::string_view default_namespace = "default";
// A certificate's policy is small; anything near this is not ours.
constexpr std::size_t max_policy_bytes = 64 * 1024;

void add_unique(std::vector<std::string>& out, const std::string& v) {
  if (!v.empty() && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool namespace_match(const std::vector<std::string>& namespaces, std::string_view ns) {
  if (namespaces.empty()) return ns == default_namespace;
  return contains(namespaces, wildcard) || contains(namespaces, ns);
}

// The trait a login template names, or nullopt when `login` is not a template.
std::optional<std::string> template_trait(std::string_view login) {
  if (login.size() < 4 || login.substr(0, 2) != "{{" || login.substr(login.size() - 2) != "}}") {
    return std::nullopt;
  }
  std::string_view inner = login.substr(2, login.size() - 4);
  while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
  while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
  for (std::string_view scope : {"internal.", "external."}) {
    if (inner.substr(0, scope.size()) == scope) return std::string(inner.substr(scope.size()));
  }
  return std::string();  // a template we do not know: expands to nothing
}

json conditions_json(const access_conditions& c) {
  json labels = json::object();
  for (const auto& [k, v] : c.node_labels) labels[k] = v;
  return json{{"logins", c.logins}, {"namespaces", c.namespaces}, {"node_labels", labels}};
}

tp::result<std::vector<std::string>> string_list(const json& j, const char* what) {
  if (!j.is_array()) return make_error(std::string(what) + " is not a list");
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) return make_error(std::string(what) + " holds a non-string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

tp::result<access_conditions> conditions_of(const json& j) {
  if (!j.is_object() || j.size() != 3) return make_error("conditions are not an object of 3 keys");
  access_conditions c;
  for (auto [key, out] : {std::pair{"logins", &c.logins}, std::pair{"namespaces", &c.namespaces}}) {
    if (!j.contains(key)) return make_error(std::string("no ") + key);
    auto list = string_list(j.at(key), key);
    if (!list) return list.err();
    *out = std::move(*list);
  }
  if (!j.contains("node_labels") || !j.at("node_labels").is_object()) {
    return make_error("node_labels is not an object");
  }
  for (const auto& [k, v] : j.at("node_labels").items()) {
    auto list = string_list(v, "a node_labels value");
    if (!list) return list.err();
    c.node_labels[k] = std::move(*list);
  }
  return c;
}

access_conditions conditions_of(const role_conditions& c, const trait_map& traits) {
  return access_conditions{expand_logins(c.logins, traits), c.namespaces, c.node_labels};
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative match with one backtrack point: linear in practice, no recursion.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool labels_match(const label_selector& selector, const label_map& labels) {
  if (selector.empty()) return false;
  if (auto it = selector.find(std::string(wildcard));
      it != selector.end() && contains(it->second, wildcard)) {
    return true;
  }
  for (const auto& [key, patterns] : selector) {
    auto found = labels.find(key);
    if (found == labels.end()) return false;
    const bool any = std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
      return glob_match(p, found->second);
    });
    if (!any) return false;
  }
  return true;
}

std::vector<std::string> expand_logins(const std::vector<std::string>& logins,
                                       const trait_map& traits) {
  std::vector<std::string> out;
  for (const auto& login : logins) {
    auto trait = template_trait(login);
    if (!trait) {
      add_unique(out, login);
      continue;
    }
    if (auto it = traits.find(*trait); !trait->empty() && it != traits.end()) {
      for (const auto& v : it->second) add_unique(out, v);
    }
  }
  return out;
}

std::vector<std::string> access_policy::logins() const {
  std::vector<std::string> out;
  for (const auto& r : roles) {
    for (const auto& l : r.allow.logins) add_unique(out, l);
  }
  std::erase_if(out, [&](const std::string& l) {
    return std::any_of(roles.begin(), roles.end(),
                       [&](const role_access& r) { return contains(r.deny.logins, l); });
  });
  return out;
}

bool access_policy::can_see(const label_map& labels, std::string_view ns) const {
  for (const auto& r : roles) {
    if (namespace_match(r.deny.namespaces, ns) && labels_match(r.deny.node_labels, labels)) {
      return false;
    }
  }
  return std::any_of(roles.begin(), roles.end(), [&](const role_access& r) {
    return namespace_match(r.allow.namespaces, ns) && labels_match(r.allow.node_labels, labels);
  });
}

tp::status access_policy::check_login(const std::string& login, const label_map& labels,
                                      std::string_view ns) const {
  for (const auto& r : roles) {
    if (!namespace_match(r.deny.namespaces, ns)) continue;
    if (contains(r.deny.logins, login)) {
      return make_error("role \"" + r.role + "\" denies the login \"" + login + "\"");
    }
    if (labels_match(r.deny.node_labels, labels)) {
      return make_error("role \"" + r.role + "\" denies access to this node's labels");
    }
  }
  for (const auto& r : roles) {
    if (namespace_match(r.allow.namespaces, ns) && contains(r.allow.logins, login) &&
        labels_match(r.allow.node_labels, labels)) {
      return {};
    }
  }
  return make_error("no role of the user allows the login \"" + login +
                    "\" on a node with these labels");
}

access_policy make_access_policy(const std::vector<role>& roles, const trait_map& traits) {
  access_policy p;
  for (const auto& r : roles) {
    p.roles.push_back(role_access{r.meta.name, conditions_of(r.spec.allow, traits),
                                  conditions_of(r.spec.deny, traits)});
  }
  return p;
}

std::chrono::nanoseconds max_session_ttl(const std::vector<role>& roles) {
  std::chrono::nanoseconds out = max_session_ttl_limit;
  for (const auto& r : roles) out = std::min(out, r.spec.options.max_session_ttl);
  return out;
}

bool forward_agent_allowed(const std::vector<role>& roles) {
  return std::any_of(roles.begin(), roles.end(),
                     [](const role& r) { return r.spec.options.forward_agent; });
}

bool port_forwarding_allowed(const std::vector<role>& roles) {
  return std::any_of(roles.begin(), roles.end(),
                     [](const role& r) { return r.spec.options.port_forwarding; });
}

std::string encode_roles_extension(const std::vector<std::string>& role_names) {
  return json{{"version", "v1"}, {"roles", role_names}}.dump();
}

tp::result<std::vector<std::string>> decode_roles_extension(std::string_view text) {
  if (text.size() > max_policy_bytes) return make_error("the roles extension is too large");
  auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("version") || j.at("version") != "v1" || !j.contains("roles")) {
    return make_error("the roles extension is not {\"version\":\"v1\",\"roles\":[...]}");
  }
  return string_list(j.at("roles"), "roles");
}

std::string encode_access_policy(const access_policy& p) {
  json roles = json::array();
  for (const auto& r : p.roles) {
    roles.push_back(
        {{"role", r.role}, {"allow", conditions_json(r.allow)}, {"deny", conditions_json(r.deny)}});
  }
  return json{{"version", "v1"}, {"roles", std::move(roles)}}.dump();
}

tp::result<access_policy> decode_access_policy(std::string_view text) {
  if (text.size() > max_policy_bytes) return make_error("the access policy is too large");
  auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.size() != 2 || !j.contains("version") || j.at("version") != "v1" ||
      !j.contains("roles") || !j.at("roles").is_array()) {
    return make_error("the access policy is not {\"version\":\"v1\",\"roles\":[...]}");
  }
  access_policy p;
  for (const auto& r : j.at("roles")) {
    if (!r.is_object() || r.size() != 3 || !r.contains("role") || !r.at("role").is_string() ||
        !r.contains("allow") || !r.contains("deny")) {
      return make_error("an access policy entry is not {role, allow, deny}");
    }
    auto allow = conditions_of(r.at("allow"));
    if (!allow)
      return make_error("role " + r.at("role").get<std::string>() + ": allow: " + allow.message());
    auto deny = conditions_of(r.at("deny"));
    if (!deny)
      return make_error("role " + r.at("role").get<std::string>() + ": deny: " + deny.message());
    p.roles.push_back(
        role_access{r.at("role").get<std::string>(), std::move(*allow), std::move(*deny)});
  }
  return p;
}

}  // namespace tp::messages
