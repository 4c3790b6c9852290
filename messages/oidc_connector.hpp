// `kind: oidc` — an OpenID Connect connector (Teleport Enterprise feature), kept as data.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "messages/metadata.hpp"
#include "messages/resource_kind.hpp"

namespace tp::messages {

class map_reader;

struct oidc_connector {
  static constexpr resource_kind kind = resource_kind::oidc;
  static constexpr std::string_view default_version = "v2";

  std::string version{default_version};
  metadata meta;
  // issuer_url, client_id, client_secret, redirect_url, display, scope, claims_to_roles, ...
  // as written. Secret: client_secret.
  nlohmann::json spec = nlohmann::json::object();

  friend bool operator==(const oidc_connector&, const oidc_connector&) = default;
};

void decode_spec(map_reader& in, oidc_connector& out);
nlohmann::ordered_json encode_spec(const oidc_connector& in);
void clear_secrets(oidc_connector& c);

}  // namespace tp::messages
