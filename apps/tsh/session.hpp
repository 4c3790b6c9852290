// A logged-in user as the commands after `tsh login` need it: the profile, the key
// and certificate files, the OpenSSH options to use them, and the node list from
// the proxy (which also refreshes the pinned node keys).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/tsh/nodes.hpp"
#include "apps/tsh/profile.hpp"
#include "apps/tsh/ssh_exec.hpp"
#include "messages/result.hpp"
#include "transport/ssh_cert.hpp"

namespace tp::apps::tsh {

// Flags every command accepts (before or after the command name).
struct global_flags {
  std::string proxy;    // host[:port]; else $TELEPORT_PROXY; else the current profile
  std::string user;     // Teleport user; else $TELEPORT_USER; else the local user
  std::string login;    // OS login on nodes; else the local user
  std::string cluster;  // --cluster / $TELEPORT_CLUSTER: a leaf cluster; "" = the proxy's own
  bool insecure = false;
  bool debug = false;
};

struct session {
  profile prof;
  key_paths keys;
  transport::ssh_certificate cert;
  std::string cluster;  // the leaf cluster commands address; "" = the proxy's own

  // The cluster node names are qualified with (luna.<cluster>).
  const std::string& target_cluster() const { return cluster.empty() ? prof.cluster : cluster; }
  // A subsystem addressed to the target cluster ("tp-nodes" or "tp-nodes@east").
  std::string subsystem(const std::string& name) const {
    return cluster.empty() ? name : name + "@" + cluster;
  }

  ssh_identity identity() const;
  proxy_hop hop() const;
  // The login used on the proxy itself: the certificate's first principal.
  std::string proxy_login() const;
  // Time left until the certificate expires (negative once it has).
  std::chrono::seconds remaining() const;
};

// The --proxy/$TELEPORT_PROXY or the current profile, with its certificate.
// "not logged in: run tsh login --proxy=<host>" when there is none.
result<session> open_session(const global_flags& g);
// "your certificate has expired; run tsh login" once it has.
status check_not_expired(const session& s);

// Runs one of the proxy's query subsystems (tp-nodes, tp-sessions, tp-play:<sid>
// ...) with the user's identity and returns what it printed; `what` names the
// action in errors ("cannot list the nodes through the proxy at ...").
result<std::string> proxy_query(const session& s, const std::string& subsystem,
                                const std::string& what, std::size_t max_output);
// A query whose answer is a JSON array of events (tp-sessions, tp-recordings):
// its objects, or an error naming a malformed answer.
result<std::vector<nlohmann::json>> proxy_events(const session& s, const std::string& subsystem,
                                                 const std::string& what);
// Asks the proxy's "tp-nodes" subsystem for the live nodes (bounded in time).
result<std::vector<node_info>> fetch_nodes(const session& s);
// Replaces the node lines of this proxy in ~/.tsh/known_hosts.
status pin_nodes(const session& s, const std::vector<node_info>& nodes);
// fetch_nodes + pin_nodes.
result<std::vector<node_info>> refresh_nodes(const session& s);

// The local user name: $USER, else the password database.
std::string local_user();
// The proxy host named by --proxy or $TELEPORT_PROXY ("" when neither is set).
std::string requested_proxy(const global_flags& g);

// "error: ..." on stderr; returns 1.
int fail(const std::string& message);

}  // namespace tp::apps::tsh
