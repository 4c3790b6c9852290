// Resources as `tctl get/create/rm` handle them (manual: "Resources"): every kind shares
// kind/version/metadata and has a typed spec. YAML is the admin's format and never carries
// secrets unless asked; JSON is the backend's storage format and carries everything.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/cert_authority.hpp"
#include "messages/github_connector.hpp"
#include "messages/metadata.hpp"
#include "messages/node.hpp"
#include "messages/oidc_connector.hpp"
#include "messages/resource_kind.hpp"
#include "messages/result.hpp"
#include "messages/role.hpp"
#include "messages/saml_connector.hpp"
#include "messages/token.hpp"
#include "messages/trusted_cluster.hpp"
#include "messages/user.hpp"

namespace tp::messages {

// Alternatives in resource_kind order: resource.index() == static_cast<size_t>(kind).
using resource = std::variant<user, role, node, cert_authority, provision_token, trusted_cluster,
                              github_connector, saml_connector, oidc_connector>;

static_assert(std::variant_size_v<resource> == resource_kind_count);

resource_kind kind_of(const resource& r);
const metadata& meta_of(const resource& r);
metadata& meta_of(resource& r);
const std::string& version_of(const resource& r);
// "user/joe", the form `tctl get`/`tctl rm` take.
std::string resource_ref(const resource& r);

// ---- YAML (tctl) ----------------------------------------------------------------------------

// Exactly one resource. Errors name the key path and line, e.g.
// "spec.allow.rules[0].verbs[1]: unknown verb \"fly\"; expected ... (line 14)".
tp::result<resource> parse_resource_yaml(std::string_view text);

// A "---"-separated stream as `tctl create` accepts (at least one resource). Errors of a
// multi-document stream start with "document N: ". All or nothing: one bad document fails all.
tp::result<std::vector<resource>> parse_resources_yaml(std::string_view text);

// In the manual's layout. Secrets (password hash, OTP key, CA private keys, connector client
// secrets) are left out unless with_secrets.
std::string to_yaml(const resource& r, bool with_secrets = false);
// Documents joined by "---" lines, as `tctl get users` prints them.
std::string to_yaml(const std::vector<resource>& rs, bool with_secrets = false);

// ---- JSON (backend values) ------------------------------------------------------------------

// The same tree as the YAML, with typed scalars; includes secrets unless told otherwise.
nlohmann::json to_json(const resource& r, bool with_secrets = true);
tp::result<resource> from_json(const nlohmann::json& j);
tp::result<resource> parse_resource_json(std::string_view text);

// ---- helpers --------------------------------------------------------------------------------

// A copy with every secret field cleared.
resource without_secrets(resource r);

// Narrows a parsed resource to the kind the caller needs (e.g. the backend reading /users/x).
template <class T>
tp::result<T> as_kind(tp::result<resource> r) {
  if (!r) return r.err();
  if (auto* x = std::get_if<T>(&*r)) return std::move(*x);
  return tp::make_error("expected a resource of kind " + std::string(to_string(T::kind)) +
                        ", got " + std::string(to_string(kind_of(*r))));
}

}  // namespace tp::messages
