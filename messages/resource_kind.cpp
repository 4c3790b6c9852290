#include "messages/resource_kind.hpp"

#include <array>

namespace tp::messages {
namespace {

constexpr std::array<std::string_view, resource_kind_count> kNames = {
    "user", "role", "node", "cert_authority", "token", "trusted_cluster", "github", "saml", "oidc",
};

struct alias {
  std::string_view name;
  resource_kind kind;
};

constexpr alias kAliases[] = {
    {"users", resource_kind::user},
    {"roles", resource_kind::role},
    {"nodes", resource_kind::node},
    {"cert_authorities", resource_kind::cert_authority},
    {"cas", resource_kind::cert_authority},
    {"ca", resource_kind::cert_authority},
    {"tokens", resource_kind::token},
    {"cluster", resource_kind::trusted_cluster},
    {"clusters", resource_kind::trusted_cluster},
    {"trusted_clusters", resource_kind::trusted_cluster},
    {"tc", resource_kind::trusted_cluster},
    {"github_connector", resource_kind::github},
    {"saml_connector", resource_kind::saml},
    {"oidc_connector", resource_kind::oidc},
};

}  // namespace

std::string_view to_string(resource_kind k) {
  return kNames.at(static_cast<std::size_t>(k));
}

std::optional<resource_kind> parse_resource_kind(std::string_view text) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == text) return static_cast<resource_kind>(i);
  }
  return std::nullopt;
}

std::optional<resource_kind> parse_resource_kind_alias(std::string_view text) {
  if (auto k = parse_resource_kind(text)) return k;
  for (const auto& a : kAliases) {
    if (a.name == text) return a.kind;
  }
  return std::nullopt;
}

std::string resource_kind_names() {
  std::string out;
  for (auto name : kNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace tp::messages
