// What the SAML and OIDC connector kinds share: their spec is kept as data (a JSON tree, keys
// as written) since only Teleport Enterprise interprets it; we check the keys a connector
// cannot work without and hide the secrets.
#pragma once

#include <initializer_list>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tp::messages {

class map_reader;

// Copies the spec mapping into out (sorted keys), requiring the given string fields.
void decode_generic_spec(map_reader& in, nlohmann::json& out,
                         std::initializer_list<std::string_view> required);

}  // namespace tp::messages
