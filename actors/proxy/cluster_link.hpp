// trusted_cluster_link: a leaf cluster's proxy keeps one reverse tunnel open to
// the proxy of each root cluster it trusts (one detached actor per trusted_cluster
// resource). It dials the root's tunnel_addr (3024) -- through an HTTP CONNECT
// proxy when the environment names one -- and serves what the root asks through
// it (transport/ssh_tunnel_client.hpp): streams to this cluster's nodes, and the
// queries "@nodes" and "@q:<subsystem>" (proxy_queries.hpp). A lost tunnel is
// dialed again after reconnect_delay() (backoff with jitter); the root never needs
// a way in.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "config/address.hpp"
#include "messages/result.hpp"
#include "messages/trusted_cluster.hpp"
#include "transport/tcp_dial.hpp"

namespace caf {
class actor_system;
}

#include "actors/proxy/tunnel_cas.hpp"

namespace tp::actors {

class node_directory;
class auth_pool;

struct cluster_link_context {
  std::string cluster_name;  // this (leaf) cluster: the tunnel's login
  std::string host_key;      // the proxy's host key (openssh-key-v1 text)
  // Its current host certificate (renewed during a CA rotation) and the CA keys our
  // heartbeats announce.
  std::shared_ptr<const tunnel_self> self;
  std::shared_ptr<node_directory> nodes;
  std::shared_ptr<auth_pool> auth;  // answers the root's "@q:" queries
};

struct cluster_link_target {
  std::string root;  // the trusted cluster's name
  config::address tunnel;
  std::optional<transport::connect_proxy> via;

  bool operator==(const cluster_link_target& o) const {
    return root == o.root && tunnel.host == o.tunnel.host && tunnel.port == o.tunnel.port &&
           (via ? via->name() : "") == (o.via ? o.via->name() : "");
  }
};

// What a running link and the cluster watcher share: the root's host CAs that vouch for
// the root proxy's certificate (they change as the root rotates, without redialing),
// and the root's last heartbeat answer (which announces its CAs).
class link_shared {
 public:
  std::vector<std::string> root_host_ca_blobs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return blobs_;
  }
  void set_root_host_ca_blobs(std::vector<std::string> blobs) {
    std::lock_guard<std::mutex> lock(mu_);
    blobs_ = std::move(blobs);
  }
  std::string last_answer() const {
    std::lock_guard<std::mutex> lock(mu_);
    return answer_;
  }
  void set_last_answer(std::string line) {
    std::lock_guard<std::mutex> lock(mu_);
    answer_ = std::move(line);
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> blobs_;
  std::string answer_;
};

// Where a trusted_cluster's tunnel is: spec.tunnel_addr, else web_proxy_addr's host
// on port 3024; with the HTTP CONNECT proxy the environment names for it.
tp::result<cluster_link_target> link_target_of(const messages::trusted_cluster& tc);

struct cluster_link {
  caf::actor actor;
  std::shared_ptr<std::atomic<bool>> stop;
  cluster_link_target target;
  std::shared_ptr<link_shared> shared;
  // Ends the tunnel within a poll interval and the actor after it.
  void shutdown();
};

cluster_link spawn_cluster_link(caf::actor_system& sys,
                                std::shared_ptr<const cluster_link_context> ctx,
                                cluster_link_target target,
                                std::vector<std::string> root_host_ca_blobs);

}  // namespace tp::actors
