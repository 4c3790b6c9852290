// The root's end of reverse tunnels (proxy_service.tunnel_listen_addr, 3024): leaf
// clusters' proxies dial in over SSH, authenticated by a host certificate of a
// cluster we trust (its host CA came with the trust exchange), with the leaf's
// cluster name as the login. Each tunnel is one SSH connection kept in the
// tunnel_registry; the proxy reaches a leaf's node by opening a forwarded-tcpip
// channel on it (dial), bridged to the caller through a socket pair so the two
// connections may live on different reactor threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/proxy/tunnel_cas.hpp"
#include "messages/result.hpp"
#include "transport/ssh_reactor_fd.hpp"
#include "transport/ssh_server_handler.hpp"

namespace tp::transport {
class server_session;
class reactor_loop;
}  // namespace tp::transport

namespace tp::actors {

inline constexpr std::chrono::seconds tunnel_heartbeat_interval{5};
// A tunnel without a heartbeat for this long is offline and disconnected.
inline constexpr std::chrono::seconds tunnel_offline_after{3 * tunnel_heartbeat_interval};

struct tunnel_status {
  std::string cluster;
  bool online = false;
  std::int64_t last_heartbeat_unix = 0;  // 0: never
  std::string remote_address;
  std::string info;  // the leaf's last heartbeat line (JSON)
};

// The host CAs of the leaf clusters we trust, by cluster name (refreshed from auth).
class trusted_leaves {
 public:
  void replace(std::map<std::string, std::vector<std::string>> host_ca_blobs);
  std::vector<std::string> host_cas_of(const std::string& cluster) const;
  std::vector<std::string> names() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::string>> cas_;
};

class tunnel_registry {
 public:
  void add(const std::string& cluster, std::weak_ptr<transport::server_session> s,
           transport::reactor_loop* loop, std::uint64_t id, std::string remote);
  void remove(const std::string& cluster, std::uint64_t id);
  void heartbeat(const std::string& cluster, std::uint64_t id, std::string info);
  // A stream to host:port inside `cluster` (or a query such as "@nodes"), or why not:
  // "cluster east is offline".
  tp::result<transport::unique_fd> dial(const std::string& cluster, const std::string& host,
                                        std::uint16_t port);
  // Every known tunnel; clusters in `known` without one are listed offline.
  std::vector<tunnel_status> list(const std::vector<std::string>& known) const;
  // Disconnects the tunnels of clusters no longer trusted.
  void sweep(const std::vector<std::string>& trusted);

  enum class health { alive, stale, gone };
  // The `tunnel` actor's check of its tunnel: alive; stale (silent for longer than
  // tunnel_offline_after: now disconnected); or gone (closed or replaced).
  health police(const std::string& cluster, std::uint64_t id);

 private:
  struct entry {
    std::weak_ptr<transport::server_session> session;
    transport::reactor_loop* loop = nullptr;
    std::uint64_t id = 0;
    std::string remote;
    std::chrono::steady_clock::time_point last_beat;
    std::chrono::system_clock::time_point last_beat_wall;
    std::string info;
    bool stale() const;
  };
  mutable std::mutex mu_;
  std::map<std::string, entry> tunnels_;
  std::map<std::string, std::chrono::system_clock::time_point> last_seen_;  // after they left
};

// Called for each tunnel that authenticated (the proxy spawns its `tunnel` actor).
using tunnel_opened = std::function<void(const std::string& cluster, std::uint64_t id)>;

// The 3024 listener's policy. `self`: the root proxy's current host certificate, which
// the leaf checks against our host CA, and the CA keys our heartbeat answers carry.
std::shared_ptr<transport::ssh_server_handler> make_tunnel_handler(
    std::shared_ptr<tunnel_registry> registry, std::shared_ptr<const trusted_leaves> leaves,
    std::shared_ptr<const tunnel_self> self, tunnel_opened on_open = {});

}  // namespace tp::actors
