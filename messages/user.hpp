// `kind: user` — a record of the local user database (manual: "Editing Users").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/metadata.hpp"
#include "messages/resource_kind.hpp"
#include "messages/timestamp.hpp"

namespace tp::messages {

class map_reader;

// Lock state; `tctl users` and the login path set it after failed attempts.
struct user_status {
  bool is_locked = false;
  std::string locked_message;
  timestamp locked_time;
  timestamp lock_expires;

  friend bool operator==(const user_status&, const user_status&) = default;
};

// Who created the record: an admin (`user.name`) or an SSO connector.
struct created_by {
  timestamp time;
  std::string user_name;           // created_by.user.name, e.g. "builtin-Admin"
  std::string connector_type;      // created_by.connector.type: "github", "saml", "oidc"
  std::string connector_id;        // created_by.connector.id
  std::string connector_identity;  // created_by.connector.identity

  friend bool operator==(const created_by&, const created_by&) = default;
};

// A link to an identity at an SSO provider.
struct external_identity {
  std::string connector_id;
  std::string username;

  friend bool operator==(const external_identity&, const external_identity&) = default;
};

// A registered U2F key.
struct u2f_registration {
  std::string raw;         // base64 registration data
  std::string key_handle;  // base64
  std::string pubkey;      // base64 DER public key

  friend bool operator==(const u2f_registration&, const u2f_registration&) = default;
};

// Credentials. Secrets: stored in the backend JSON, never printed by `tctl get`.
struct local_auth {
  std::string password_hash;  // the password hash in its self-describing text form
  std::string totp_key;       // base32 TOTP secret
  u2f_registration u2f;       // empty when no key is registered
  std::uint32_t u2f_counter = 0;

  bool empty() const { return *this == local_auth{}; }
  friend bool operator==(const local_auth&, const local_auth&) = default;
};

struct user_spec {
  std::vector<std::string> roles;
  // `logins` holds the allowed OS logins (`tctl users add joe joe,root`).
  std::map<std::string, std::vector<std::string>> traits;
  user_status status;
  timestamp expires;  // the manual's user record carries its own `spec.expires`
  created_by created;
  std::vector<external_identity> oidc_identities;
  std::vector<external_identity> saml_identities;
  std::vector<external_identity> github_identities;
  local_auth auth;  // YAML/JSON key `local_auth`; secret

  friend bool operator==(const user_spec&, const user_spec&) = default;
};

struct user {
  static constexpr resource_kind kind = resource_kind::user;
  static constexpr std::string_view default_version = "v2";

  std::string version{default_version};
  metadata meta;
  user_spec spec;

  // The allowed OS logins (traits.logins); empty when none are set.
  const std::vector<std::string>& logins() const;

  friend bool operator==(const user&, const user&) = default;
};

// Codec hooks (resource.cpp drives them; the header fields are shared).
void decode_spec(map_reader& in, user& out);
nlohmann::ordered_json encode_spec(const user& in);
void clear_secrets(user& r);

}  // namespace tp::messages
