// The node's SSH policy on top of transport/ssh_server: who may log in (user
// certificates of the cluster's user CA only), what each channel may do (the
// certificate's permit-* extensions and force-command), and which events the
// audit log hears about. Runs on the reactor threads: never blocks; audit
// events leave through `sink`, which must be thread-safe and non-blocking.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/node/shared_session.hpp"
#include "transport/ssh_server_handler.hpp"

namespace tp::actors {

// Receives the node's connection-level events (auth), in Teleport's format.
using audit_sink = std::function<void(nlohmann::json event)>;

class session_events;
// Starts the session actor of a new session ID (see session.hpp).
using session_factory = std::function<std::shared_ptr<session_events>(const std::string& sid)>;

// Recording proxy mode: the proxy terminates a proxied connection with a
// node_handler of its own whose programs are not the login's shell but ssh to
// the real node (authenticated with the client's forwarded agent), so the
// session is checked, audited and recorded here exactly as a node would.
struct forward_target {
  std::string name;  // the node as the user named it (events: server_hostname)
  std::string addr;  // host:port dialed (events: server_addr)
  // The argv that runs what the client asked for on the node as `login`.
  std::function<std::vector<std::string>(const std::string& login,
                                         const std::optional<std::string>& command,
                                         const std::string& subsystem, bool pty)>
      program;
  std::vector<std::string> env;  // the environment of that program
};

// When the node ends a connection itself (client.disconnect events): after this
// long without client input (0: never), and when the certificate expires.
struct disconnect_rules {
  std::chrono::milliseconds idle{0};
  bool expired_cert = false;
};
struct cluster_settings;
// The rules as auth currently announces them (client_idle_timeout,
// disconnect_expired_cert).
std::function<disconnect_rules()> disconnect_rules_of(
    std::shared_ptr<const cluster_settings> settings);

struct node_policy {
  std::vector<std::string> user_ca_blobs;  // trusted user CA public keys (wire blobs)
  std::string host_id;
  std::string nodename;
  std::size_t max_users = 250;   // distinct cluster users logged in at once
  bool permit_user_env = false;  // read ~/.tsh/environment
  std::string pam_service;       // non-empty: PAM account + session with this service
  std::map<std::string, std::string> subsystems = {{"sftp", "/usr/lib/openssh/sftp-server"}};
  std::optional<forward_target> forward;  // set: this serves a recording proxy's connection
  // Read at each login (the cluster's settings may change); unset: never.
  std::function<disconnect_rules()> disconnect;
  // The user CAs as auth currently vouches for them (trusted clusters come and go);
  // unset or null: user_ca_blobs.
  std::function<std::shared_ptr<const std::vector<std::string>>()> current_user_cas;
  // The labels a user's roles are checked against (the node's, or the recording
  // proxy's target's); unset or null: none (only roles matching every node pass).
  std::function<std::shared_ptr<const std::map<std::string, std::string>>()> labels;
};

class node_handler : public transport::ssh_server_handler,
                     public std::enable_shared_from_this<node_handler> {
 public:
  // Without a session factory, session events go to `sink` directly.
  node_handler(node_policy policy, audit_sink sink, session_factory sessions = {});

  tp::status authorize(const transport::auth_attempt& a) override;
  std::unique_ptr<transport::session_handler> on_authenticated(
      transport::server_session& s, const transport::auth_attempt& a) override;
  void on_auth_failure(const transport::auth_failure& f) override;

  const node_policy& policy() const { return policy_; }
  void emit(nlohmann::json event) const;
  std::shared_ptr<session_events> open_session(const std::string& sid) const;
  // A cluster user's session count went down (a session ended).
  void release_user(const std::string& user);
  // Interactive sessions that `tsh join` may attach to.
  session_registry& shared_sessions() { return shared_; }

 private:
  node_policy policy_;
  audit_sink sink_;
  session_factory sessions_;
  std::mutex mu_;
  std::map<std::string, std::size_t> users_;  // cluster user -> open sessions
  session_registry shared_;
};

// What a legacy scp command line does, for the scp audit event: action
// "write" (scp -t: a file is written on the node) or "read" (scp -f), as the
// manual's scp event names them, and the path.
struct scp_request {
  std::string action;
  std::string path;
};
std::optional<scp_request> parse_scp_command(std::string_view command);

// "VAR=value" lines of a ~/.tsh/environment file (comments and blank lines
// skipped, malformed lines ignored), at most 1,000 entries.
std::vector<std::string> parse_environment_file(std::string_view text);

}  // namespace tp::actors
