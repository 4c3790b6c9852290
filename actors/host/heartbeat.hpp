// The auth link of a node or proxy: one detached actor that owns the host's
// control-plane connection. It announces the host right away and then every
// heartbeat_interval (with the current command-label values), and forwards
// audit events, keeping them queued while auth is unreachable. After a failure
// it reconnects with exponential backoff and jitter, so a restarted auth
// service is not hit by every host at once.
//
// Recording chunks (api_request holding a session_chunk_request) share the
// queue with audit events, in order; consecutive chunks of one session are
// merged while they wait. A request auth refuses is logged and dropped (it
// would be refused again); one that fails with the connection is retried.
//
// Messages: (audit_atom, std::string json), (api_request chunk) and
// (label_atom, name, value).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/client/auth_servers.hpp"
#include "actors/identity/identity_file.hpp"
#include "actors/identity/live_identity.hpp"
#include "config/config.hpp"
#include "messages/node.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

inline constexpr std::chrono::seconds heartbeat_interval{5};
// A host that stops announcing itself leaves the registry after this long.
inline constexpr std::chrono::seconds heartbeat_ttl = 3 * heartbeat_interval;
inline constexpr std::size_t max_queued_audit_events = 100000;
inline constexpr std::size_t max_queued_recording_bytes = 256u << 20;

// What auth tells its hosts about the cluster (its ping reply), refreshed on
// every (re)connection; read by the reactor threads.
struct cluster_settings {
  std::atomic<bool> record_at_node{true};  // session_recording: node
  std::atomic<bool> record_at_proxy{false};
  std::atomic<bool> proxy_checks_host_keys{true};
  std::atomic<std::uint64_t> client_idle_timeout_ms{0};  // 0: never
  std::atomic<bool> disconnect_expired_cert{false};

  // The user CAs the host accepts (wire blobs): its cluster's and, once trust with
  // other clusters is set up (Trusted Clusters), theirs; refreshed every heartbeat.
  // Null until auth answered once: the identity's CAs apply.
  std::shared_ptr<const std::vector<std::string>> user_cas() const {
    std::lock_guard<std::mutex> lock(cas_mu_);
    return user_cas_;
  }
  void set_user_cas(std::vector<std::string> blobs) {
    auto v = std::make_shared<const std::vector<std::string>>(std::move(blobs));
    std::lock_guard<std::mutex> lock(cas_mu_);
    user_cas_ = std::move(v);
  }
  // This cluster's host CAs (wire blobs), both generations during a rotation; null
  // until auth answered once.
  std::shared_ptr<const std::vector<std::string>> host_cas() const {
    std::lock_guard<std::mutex> lock(cas_mu_);
    return host_cas_;
  }
  void set_host_cas(std::vector<std::string> blobs) {
    auto v = std::make_shared<const std::vector<std::string>>(std::move(blobs));
    std::lock_guard<std::mutex> lock(cas_mu_);
    host_cas_ = std::move(v);
  }

  // The host's labels as it announces them (static and command labels): what a
  // user's roles are checked against at login.
  std::shared_ptr<const std::map<std::string, std::string>> labels() const {
    std::lock_guard<std::mutex> lock(cas_mu_);
    return labels_;
  }
  void set_labels(std::map<std::string, std::string> labels) {
    auto v = std::make_shared<const std::map<std::string, std::string>>(std::move(labels));
    std::lock_guard<std::mutex> lock(cas_mu_);
    labels_ = std::move(v);
  }

 private:
  mutable std::mutex cas_mu_;
  std::shared_ptr<const std::vector<std::string>> user_cas_;
  std::shared_ptr<const std::vector<std::string>> host_cas_;
  std::shared_ptr<const std::map<std::string, std::string>> labels_;
};

// The node record a host announces (name = host ID, hostname = nodename).
messages::node announced_node(const config::teleport_config& cfg, const identity& id,
                              const std::string& role);

// Backoff before reconnect attempt `failures` (1, 2, ...): 1s doubling up to
// 30s, plus up to 50% jitter from `jitter_fraction` in [0, 1).
std::chrono::milliseconds reconnect_delay(unsigned failures, double jitter_fraction);

// The link keeps `id` current: during a CA rotation it takes the new trusted CAs and
// renewed certificates into it (and into data_dir/identity/<role>.json).
caf::actor spawn_heartbeat(caf::actor_system& sys, const config::teleport_config& cfg,
                           live_identity_ptr id, std::string role,
                           std::shared_ptr<cluster_settings> settings = nullptr,
                           auth_servers_ptr auths = nullptr);

}  // namespace tp::actors
