#include "messages/token.hpp"

#include <algorithm>

#include "messages/tree_reader.hpp"
#include "messages/tree_writer.hpp"

namespace tp::messages {

std::string_view to_string(system_role r) {
  switch (r) {
    case system_role::auth:
      return "Auth";
    case system_role::node:
      return "Node";
    case system_role::proxy:
      return "Proxy";
    case system_role::trusted_cluster:
      return "Trusted_cluster";
  }
  return "?";
}

std::optional<system_role> parse_system_role(std::string_view text) {
  std::string low(text);
  for (char& c : low) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (low == "auth") return system_role::auth;
  if (low == "node") return system_role::node;
  if (low == "proxy") return system_role::proxy;
  if (low == "trusted_cluster" || low == "trustedcluster") return system_role::trusted_cluster;
  return std::nullopt;
}

bool provision_token::allows(system_role r) const {
  return std::find(spec.roles.begin(), spec.roles.end(), r) != spec.roles.end();
}

void decode_spec(map_reader& in, provision_token& res) {
  provision_token_spec& out = res.spec;
  std::vector<std::string> names;
  in.read("roles", names);
  if (in.failed()) return;
  if (names.empty()) {
    in.fail("roles", "a token needs at least one role (auth, node, proxy or trusted_cluster)");
    return;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto r = parse_system_role(names[i]);
    if (!r) {
      in.fail("roles[" + std::to_string(i) + "]",
              "unknown role \"" + names[i] + "\"; expected auth, node, proxy or trusted_cluster");
      return;
    }
    if (std::find(out.roles.begin(), out.roles.end(), *r) == out.roles.end())
      out.roles.push_back(*r);
  }
}

tree encode_spec(const provision_token& res) {
  const provision_token_spec& in = res.spec;
  tree roles = tree::array();
  for (auto r : in.roles) roles.push_back(std::string(to_string(r)));
  return tree{{"roles", std::move(roles)}};
}

}  // namespace tp::messages
