// The proxy's view of the live hosts, refreshed from auth: how a name a user
// typed (`tsh ssh luna`, `ssh -J proxy luna`, `proxy:luna:3022`) becomes the
// address the proxy dials. Thread-safe: reactor threads resolve while the
// refresher replaces the list.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "messages/node.hpp"

namespace tp::actors {

class node_directory {
 public:
  explicit node_directory(std::string cluster_name) : cluster_(std::move(cluster_name)) {}

  void replace(std::vector<messages::node> nodes);
  std::vector<messages::node> list() const;

  // By hostname, "<hostname>.<cluster>", host ID, or the IP of its address.
  // Ambiguous names (two live hosts share one) resolve to nothing unless `port`
  // (when not 0) picks one of them by its address: the user must name the host ID.
  std::optional<messages::node> resolve(const std::string& host, std::uint16_t port = 0) const;

  const std::string& cluster_name() const { return cluster_; }

 private:
  std::string cluster_;
  mutable std::mutex mu_;
  std::vector<messages::node> nodes_;
};

// Where the proxy dials a registered node: its announced address.
struct dial_target {
  std::string host;
  std::uint16_t port = 0;
  std::string node_name;
};
std::optional<dial_target> target_of(const messages::node& n);

// "proxy:<host>:<port>[@<cluster>]" -> host, port, cluster (port 0 when absent).
struct proxy_target {
  std::string host;
  std::uint16_t port = 0;
  std::string cluster;
};
std::optional<proxy_target> parse_proxy_subsystem(const std::string& name);

}  // namespace tp::actors
