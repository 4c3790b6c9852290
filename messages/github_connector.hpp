// `kind: github` (format v3) — the GitHub OAuth 2.0 connector (manual: "Github OAuth 2.0").
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/metadata.hpp"
#include "messages/resource_kind.hpp"

namespace tp::messages {

class map_reader;

// Members of organization/team get these logins (open source) or roles (Enterprise).
struct team_mapping {
  std::string organization;
  std::string team;
  std::vector<std::string> logins;
  std::vector<std::string> kubernetes_groups;

  friend bool operator==(const team_mapping&, const team_mapping&) = default;
};

struct github_connector_spec {
  std::string client_id;
  std::string client_secret;  // secret: backend JSON only
  std::string display;        // label on the web UI login button
  std::string redirect_url;   // https://<proxy>/v1/webapi/github/callback
  std::vector<team_mapping> teams_to_logins;

  friend bool operator==(const github_connector_spec&, const github_connector_spec&) = default;
};

// metadata.name is what `tsh --auth=<name> login` selects.
struct github_connector {
  static constexpr resource_kind kind = resource_kind::github;
  static constexpr std::string_view default_version = "v3";

  std::string version{default_version};
  metadata meta;
  github_connector_spec spec;

  friend bool operator==(const github_connector&, const github_connector&) = default;
};

void decode_spec(map_reader& in, github_connector& out);
nlohmann::ordered_json encode_spec(const github_connector& in);
inline void clear_secrets(github_connector& r) {
  r.spec.client_secret.clear();
}

}  // namespace tp::messages
