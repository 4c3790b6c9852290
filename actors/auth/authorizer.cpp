#include "actors/auth/authorizer.hpp"

#include <string>

namespace tp::actors::auth {
namespace {

using namespace tp::messages;

bool is_host(const caller& who) {
  return who.has_role("node") || who.has_role("proxy");
}

std::string who_text(const caller& who) {
  if (who.roles.empty()) return "an unauthenticated client";
  std::string roles;
  for (const auto& r : who.roles) roles += (roles.empty() ? "" : ",") + r;
  return "\"" + who.name + "\" (role " + roles + ")";
}

struct rules {
  const caller& who;

  bool operator()(const join_request&) const { return true; }
  bool operator()(const ping_request&) const { return !who.roles.empty(); }
  bool operator()(const ca_keys_request&) const { return is_host(who); }
  bool operator()(const audit_event_request&) const { return is_host(who); }
  // Hosts follow CA rotations: they read the state and renew their own certificates.
  bool operator()(const rotation_status_request&) const { return is_host(who); }
  bool operator()(const renew_identity_request&) const { return is_host(who); }
  bool operator()(const session_chunk_request&) const { return is_host(who); }
  // The proxy serves users' playback and session lists (`tsh play`, `tsh sessions ls`).
  bool operator()(const recording_request&) const { return who.has_role("proxy"); }
  bool operator()(const list_sessions_request&) const { return who.has_role("proxy"); }
  bool operator()(const audit_query_request&) const { return who.has_role("proxy"); }
  bool operator()(const heartbeat_request& r) const {
    // A host may only announce itself, in a role its certificate has.
    return is_host(who) && r.server.meta.name == who.name && who.has_role(r.role);
  }
  // The web login and signup run on the proxy, which speaks for the user.
  bool operator()(const signup_info_request&) const { return who.has_role("proxy"); }
  bool operator()(const complete_signup_request&) const { return who.has_role("proxy"); }
  bool operator()(const ssh_login_request&) const { return who.has_role("proxy"); }
  // A leaf cluster's trust request arrives through the proxy's web API; the token decides.
  bool operator()(const validate_trusted_cluster_request&) const { return who.has_role("proxy"); }
  // A root proxy reports the state of its leaf clusters' tunnels (tctl get rc).
  bool operator()(const report_tunnels_request&) const { return who.has_role("proxy"); }
  // The proxy holds the tunnels over which trusted clusters announce their CAs.
  bool operator()(const update_remote_cas_request&) const { return who.has_role("proxy"); }
  // Hosts fail over to the other auth servers they learn of.
  bool operator()(const auth_servers_request&) const { return is_host(who); }
  // The proxy tells tsh which host keys its peers behind a load balancer present.
  bool operator()(const proxy_keys_request&) const { return who.has_role("proxy"); }
  bool operator()(const get_resources_request& r) const {
    if (!who.has_role("proxy") || r.with_secrets) return false;
    return r.kind == resource_kind::node || r.kind == resource_kind::user ||
           r.kind == resource_kind::role || r.kind == resource_kind::cert_authority ||
           r.kind == resource_kind::trusted_cluster;
  }
  template <class Other>
  bool operator()(const Other&) const {
    return false;
  }
};

}  // namespace

tp::status authorize(const caller& who, const api_request& request) {
  if (who.has_role("admin")) return {};
  if (std::visit(rules{who}, request)) return {};
  return tp::make_error(who_text(who) + " may not perform this request");
}

}  // namespace tp::actors::auth
