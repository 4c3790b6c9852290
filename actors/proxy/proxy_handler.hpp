// The proxy's SSH entry point (port 3023): the same certificate check as a
// node, then only routing — the proxy runs nothing itself. A session channel
// may ask for the subsystem "proxy:<host>:<port>" (OpenSSH's ProxyCommand
// recipe of the manual), "tp-nodes" (the node list for tsh) or one of the
// queries of proxy_queries.hpp (sessions, recordings), and with "@<cluster>"
// the same through a leaf cluster's reverse tunnel; a direct-tcpip
// channel (`ssh -J proxy host`) names the host directly. Only registered
// hosts are dialed, and only by the proxy -- except in recording proxy mode
// (recording_forward.hpp), where the proxy ends the SSH itself and a host
// certificate vouches for an OpenSSH server that is not registered.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/proxy/node_directory.hpp"
#include "messages/access_policy.hpp"
#include "transport/ssh_server_handler.hpp"

namespace tp::actors {

using proxy_audit_sink = std::function<void(nlohmann::json event)>;
class auth_pool;
class blocking_pool;
struct recording_forward;
class tunnel_registry;
class trusted_leaves;

class proxy_handler : public transport::ssh_server_handler,
                      public std::enable_shared_from_this<proxy_handler> {
 public:
  proxy_handler(std::vector<std::string> user_ca_blobs, std::shared_ptr<node_directory> nodes,
                std::string server_id, proxy_audit_sink sink,
                std::shared_ptr<auth_pool> auth = nullptr,
                std::shared_ptr<blocking_pool> pool = nullptr,
                std::shared_ptr<const recording_forward> forward = nullptr);

  // The user CAs as auth announces them now (a CA rotation changes them); until the
  // first answer, the ones given to the constructor.
  void set_user_cas_source(std::function<std::shared_ptr<const std::vector<std::string>>()> f) {
    current_user_cas_ = std::move(f);
  }

  tp::status authorize(const transport::auth_attempt& a) override;
  std::unique_ptr<transport::session_handler> on_authenticated(
      transport::server_session& s, const transport::auth_attempt& a) override;
  void on_auth_failure(const transport::auth_failure& f) override;

  node_directory& nodes() { return *nodes_; }
  void emit(nlohmann::json event) const;
  const std::string& server_id() const { return server_id_; }
  std::shared_ptr<auth_pool> auth() const { return auth_; }
  blocking_pool* pool() const { return pool_.get(); }
  // Set and active: session_recording is "proxy" (see recording_forward.hpp).
  const std::shared_ptr<const recording_forward>& forward() const { return forward_; }
  bool recording_at_proxy() const;
  // What tp-nodes lists: in recording proxy mode the host key a client sees for
  // every node is the proxy's own.
  // Only the nodes `policy` shows (null: all).
  std::string node_list(const messages::access_policy* policy = nullptr) const;

  // Trusted Clusters: the reverse tunnels of the leaf clusters this proxy reaches
  // ("proxy:host:port@east", "tp-nodes@east") and which leaves it trusts.
  void set_federation(std::shared_ptr<tunnel_registry> tunnels,
                      std::shared_ptr<const trusted_leaves> leaves);
  tunnel_registry* tunnels() const { return tunnels_.get(); }
  bool is_leaf(const std::string& cluster) const;
  // What tp-clusters lists: [{"name","status","last_heartbeat"}], this cluster first.
  std::string clusters_json() const;

 private:
  std::vector<std::string> ca_blobs_;
  std::function<std::shared_ptr<const std::vector<std::string>>()> current_user_cas_;
  std::shared_ptr<node_directory> nodes_;
  std::string server_id_;
  proxy_audit_sink sink_;
  std::shared_ptr<auth_pool> auth_;
  std::shared_ptr<blocking_pool> pool_;
  std::shared_ptr<const recording_forward> forward_;
  std::shared_ptr<tunnel_registry> tunnels_;
  std::shared_ptr<const trusted_leaves> leaves_;
};

// The JSON `tp-nodes` prints: [{"hostname","id","addr","labels","host_key"}].
// `host_key`, when given, replaces every node's.
std::string nodes_json(const std::vector<messages::node>& nodes, const std::string& host_key = {});

}  // namespace tp::actors
