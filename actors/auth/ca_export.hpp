// The text `tctl auth export` prints (manual: "Using Teleport with OpenSSH")
// and the CA pin `tctl status` shows. Only public halves ever leave here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "actors/auth/ca_store.hpp"
#include "messages/result.hpp"
#include "transport/ssh_key.hpp"

namespace tp::actors::auth {

enum class export_type {
  all,   // no --type: the host line, then the user line
  user,  // --type=user
  host,  // --type=host
  tls,   // --type=tls
};

// "", "user", "host" or "tls" (the --type value); nullopt for anything else.
std::optional<export_type> parse_export_type(std::string_view text);

// Extra host patterns for the known_hosts line. Both off by default, giving
// exactly what Teleport prints.
struct known_hosts_options {
  // Also "<cluster>" itself (e.g. a proxy whose host certificate lists it).
  bool cluster_host = false;
  // Also "[*.<cluster>]:*": OpenSSH looks up hosts on a port other than 22 as
  // "[host]:port", which "*.<cluster>" does not match, so without this the
  // manual's ssh_config recipe (nodes on port 3022) needs HostKeyAlias.
  bool any_port = false;
};

// A known_hosts line trusting the host CA for the cluster's nodes:
//   "@cert-authority *.<cluster> <key> type=host"
// Nodes are reached as "<node>.<cluster>" (manual: `ssh root@database.work.example.com`).
// With options the pattern list grows to "<cluster>,*.<cluster>,[<cluster>]:*,[*.<cluster>]:*".
std::string known_hosts_line(const transport::public_key& host_ca, std::string_view cluster_name,
                             const known_hosts_options& options = {});

// An authorized_keys line trusting the user CA for one account:
//   "cert-authority <key> clustername=<cluster>"
// Without the leading "cert-authority " it is a TrustedUserCAKeys line (the
// manual's recipe for all users): key type, key and a comment.
std::string authorized_keys_line(const transport::public_key& user_ca,
                                 std::string_view cluster_name);

// What `tctl auth export [--type=...]` prints, each line ending in "\n". tls
// is the TLS CA certificate in PEM.
tp::result<std::string> export_authorities(const cluster_cas& cas, export_type type,
                                           const known_hosts_options& options = {});

// "sha256:<hex>" of the TLS CA's public key, as `tctl status` shows and
// `teleport start --ca-pin` takes.
std::string ca_pin(const cluster_cas& cas);

}  // namespace tp::actors::auth
