#include "messages/saml_connector.hpp"

#include "messages/sso_connector.hpp"
#include "messages/tree_reader.hpp"

namespace tp::messages {

void decode_spec(map_reader& in, saml_connector& out) {
  // The assertion consumer service URL is the one field every SAML setup needs.
  decode_generic_spec(in, out.spec, {"acs"});
}

nlohmann::ordered_json encode_spec(const saml_connector& in) {
  return nlohmann::ordered_json(in.spec);
}

void clear_secrets(saml_connector& c) {
  for (const char* pair : {"signing_key_pair", "assertion_key_pair"}) {
    auto it = c.spec.find(pair);
    if (it != c.spec.end() && it->is_object()) it->erase("private_key");
  }
}

}  // namespace tp::messages
