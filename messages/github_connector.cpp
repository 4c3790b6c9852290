#include "messages/github_connector.hpp"

#include "messages/tree_reader.hpp"
#include "messages/tree_writer.hpp"

namespace tp::messages {

void decode_spec(map_reader& in, github_connector& res) {
  github_connector_spec& out = res.spec;
  in.read("client_id", out.client_id);
  in.read("client_secret", out.client_secret);
  in.read("display", out.display);
  in.read("redirect_url", out.redirect_url);
  in.for_each("teams_to_logins", [&](map_reader& r) {
    auto& m = out.teams_to_logins.emplace_back();
    r.read("organization", m.organization);
    r.read("team", m.team);
    r.read("logins", m.logins);
    r.read("kubernetes_groups", m.kubernetes_groups);
    if (r.failed()) return;
    if (m.organization.empty()) r.fail("organization", "missing (the GitHub organization)");
    if (m.team.empty()) r.fail("team", "missing (the team within the organization)");
    if (m.logins.empty()) r.fail("logins", "missing (the logins members of this team get)");
    check_names(r, "logins", m.logins, "login");
  });
  if (in.failed()) return;
  if (out.client_id.empty()) in.fail("client_id", "missing (the GitHub OAuth app's client ID)");
  if (out.redirect_url.empty()) {
    in.fail("redirect_url", "missing (https://<proxy-address>/v1/webapi/github/callback)");
  } else if (out.redirect_url.rfind("https://", 0) != 0 &&
             out.redirect_url.rfind("http://", 0) != 0) {
    in.fail("redirect_url", "expected an http(s) URL, got \"" + out.redirect_url + "\"");
  }
}

tree encode_spec(const github_connector& res) {
  const github_connector_spec& in = res.spec;
  tree spec = tree::object();
  spec["client_id"] = in.client_id;
  put_nonempty(spec, "client_secret", in.client_secret);
  put_nonempty(spec, "display", in.display);
  spec["redirect_url"] = in.redirect_url;
  tree teams = tree::array();
  for (const auto& m : in.teams_to_logins) {
    tree t = tree{{"organization", m.organization}, {"team", m.team}, {"logins", m.logins}};
    put_nonempty(t, "kubernetes_groups", m.kubernetes_groups);
    teams.push_back(std::move(t));
  }
  put_nonempty(spec, "teams_to_logins", std::move(teams));
  return spec;
}

}  // namespace tp::messages
