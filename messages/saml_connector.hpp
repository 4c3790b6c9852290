// `kind: saml` — a SAML connector (Teleport Enterprise feature), kept as data.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "messages/metadata.hpp"
#include "messages/resource_kind.hpp"

namespace tp::messages {

class map_reader;

struct saml_connector {
  static constexpr resource_kind kind = resource_kind::saml;
  static constexpr std::string_view default_version = "v2";

  std::string version{default_version};
  metadata meta;
  // acs, issuer, sso, cert, display, entity_descriptor, attributes_to_roles, ... as written.
  // Secrets: signing_key_pair.private_key, assertion_key_pair.private_key.
  nlohmann::json spec = nlohmann::json::object();

  friend bool operator==(const saml_connector&, const saml_connector&) = default;
};

void decode_spec(map_reader& in, saml_connector& out);
nlohmann::ordered_json encode_spec(const saml_connector& in);
void clear_secrets(saml_connector& c);

}  // namespace tp::messages
