// Recording proxy mode (session_recording: proxy). A "proxy:<host>:<port>"
// subsystem no longer carries the client's SSH to the node untouched: the proxy
// ends it in an SSH server of its own (an adopted socketpair, served by a
// node_handler in forward mode, so certificate checks, audit events and the
// recording are the node's), and reaches the node with OpenSSH's ssh, which
// authenticates with the agent the client forwarded to the proxy (ssh -A, or
// ForwardAgent yes in the ProxyCommand) and sees exactly the host key checked
// here: a host certificate of the cluster's host CA, or the key a registered
// node announced. OpenSSH nodes need not be registered: any host:port is
// dialed, and the host key check is what vouches for it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/host/heartbeat.hpp"
#include "actors/node/node_handler.hpp"
#include "transport/ssh_server.hpp"

namespace tp::actors {

class blocking_pool;

struct recording_forward {
  transport::ssh_server* server = nullptr;  // no listener; connections are adopted
  std::vector<std::string> user_ca_blobs;
  std::vector<std::string> host_ca_blobs;
  std::string proxy_id;
  std::string proxy_host_key;  // authorized_keys line: what clients see for every node
  audit_sink sink;
  session_factory sessions;
  std::shared_ptr<const cluster_settings> settings;
  std::shared_ptr<blocking_pool> pool;  // host key probes

  bool active() const { return server && settings && settings->record_at_proxy.load(); }
};

// What the proxy's ssh to the node needs besides the request.
struct forward_ssh_options {
  std::string host;
  std::uint16_t port = 22;
  // Empty: host keys are not checked (proxy_checks_host_keys: no).
  std::string known_hosts_file;  // holds "tp-node <key>"
  std::string host_key_algorithms;
};

// ssh's argv for what the client asked: a shell (no command), a command or a
// subsystem, with or without a terminal, as `login` on the node.
std::vector<std::string> forward_ssh_argv(const forward_ssh_options& o, const std::string& login,
                                          const std::optional<std::string>& command,
                                          const std::string& subsystem, bool pty);

// The host key algorithm names OpenSSH negotiates for a key of this type
// ("ssh-rsa" keys: rsa-sha2-512,rsa-sha2-256).
std::string host_key_algorithms_for(const transport::public_key& key);

struct forward_target_spec {
  std::string host;
  std::uint16_t port = 0;
  std::string name;                           // as the user named it
  std::optional<std::string> pinned_key;      // a registered node's certified key (blob)
  std::string node_id;                        // a registered node's host ID
  std::map<std::string, std::string> labels;  // a registered node's; the user's roles need them
};

// The session channel handler a proxy subsystem becomes in recording proxy mode.
std::unique_ptr<transport::channel_handler> make_forward_channel(
    std::shared_ptr<const recording_forward> fwd, forward_target_spec target);

}  // namespace tp::actors
