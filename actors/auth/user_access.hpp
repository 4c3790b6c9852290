// A user's roles, resolved when auth signs the user a certificate: the logins
// (principals), the TTL cap, the permit-* extensions and the access policy that
// nodes and proxies enforce from the certificate.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "actors/auth/ca_sign.hpp"
#include "messages/result.hpp"
#include "messages/role.hpp"
#include "messages/user.hpp"

namespace tp::actors::auth {

class resource_store;

struct user_grant {
  std::vector<std::string> role_names;
  std::vector<std::string> logins;
  std::chrono::seconds ttl{0};  // the requested TTL brought under the roles' cap
  user_cert_options options;    // permit-* flags plus the roles and policy extensions
};

// The roles a user holds: spec.roles, or the built-in "admin" for a user record
// without any (every user had it before roles existed).
std::vector<std::string> role_names_of(const messages::user& u);

// Pure: from the user and the role resources it names (in that order).
tp::result<user_grant> make_user_grant(const messages::user& u,
                                       const std::vector<messages::role>& roles,
                                       std::optional<std::chrono::seconds> requested_ttl);

// Reads the roles from the store. Errors name the missing role or the empty login set.
tp::result<user_grant> grant_for(resource_store& store, const messages::user& u,
                                 std::optional<std::chrono::seconds> requested_ttl);

// Auth's start: the built-in admin role exists in the backend (created once; an
// administrator's edits are kept).
tp::status ensure_admin_role(resource_store& store);

}  // namespace tp::actors::auth
