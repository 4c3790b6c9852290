#include "messages/oidc_connector.hpp"

#include "messages/sso_connector.hpp"
#include "messages/tree_reader.hpp"

namespace tp::messages {

void decode_spec(map_reader& in, oidc_connector& out) {
  decode_generic_spec(in, out.spec, {"issuer_url", "client_id", "redirect_url"});
}

nlohmann::ordered_json encode_spec(const oidc_connector& in) {
  return nlohmann::ordered_json(in.spec);
}

void clear_secrets(oidc_connector& c) {
  c.spec.erase("client_secret");
}

}  // namespace tp::messages
