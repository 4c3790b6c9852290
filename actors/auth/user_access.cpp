#include "actors/auth/user_access.hpp"

#include <algorithm>

#include "actors/auth/resource_store.hpp"
#include "messages/access_policy.hpp"

namespace tp::actors::auth {

using namespace tp::messages;
using std::chrono::seconds;

std::vector<std::string> role_names_of(const user& u) {
  if (u.spec.roles.empty()) return {"admin"};
  return u.spec.roles;
}

tp::result<user_grant> make_user_grant(const user& u, const std::vector<role>& roles,
                                       std::optional<seconds> requested_ttl) {
  if (roles.empty()) return make_error("user \"" + u.meta.name + "\" has no roles");
  const auto policy = make_access_policy(roles, u.spec.traits);
  user_grant g;
  for (const auto& r : roles) g.role_names.push_back(r.meta.name);
  g.logins = policy.logins();
  if (g.logins.empty()) {
    return make_error("user \"" + u.meta.name +
                      "\" has no logins; add some to the user's roles or traits");
  }
  const auto cap = std::chrono::duration_cast<seconds>(max_session_ttl(roles));
  g.ttl = std::min(clamp_user_ttl(requested_ttl), cap);
  g.options.permit_agent_forwarding = forward_agent_allowed(roles);
  g.options.permit_port_forwarding = port_forwarding_allowed(roles);
  g.options.extensions[std::string(roles_extension)] = encode_roles_extension(g.role_names);
  g.options.extensions[std::string(policy_extension)] = encode_access_policy(policy);
  return g;
}

tp::result<user_grant> grant_for(resource_store& store, const user& u,
                                 std::optional<seconds> requested_ttl) {
  std::vector<role> roles;
  for (const auto& name : role_names_of(u)) {
    auto r = store.get(resource_kind::role, name);
    if (!r) {
      if (r.kind() == persistence::error_kind::not_found) {
        return make_error("role \"" + name + "\" of user \"" + u.meta.name + "\" is not found");
      }
      return make_error("reading role \"" + name + "\": " + r.message());
    }
    roles.push_back(std::get<role>(*r));
  }
  return make_user_grant(u, roles, requested_ttl);
}

tp::status ensure_admin_role(resource_store& store) {
  auto st = store.put(make_admin_role(), /*create_only=*/true);
  if (!st && st.kind() != persistence::error_kind::already_exists) {
    return make_error("creating the built-in admin role: " + st.message());
  }
  return {};
}

}  // namespace tp::actors::auth
