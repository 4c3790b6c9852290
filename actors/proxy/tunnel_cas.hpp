// How trusted clusters follow each other's CA rotations over their reverse tunnel
// (Teleport's TestRotateTrustedClusters): every heartbeat line carries the sender's own
// CA keys as its auth stores them now -- the leaf's host CA in its heartbeats, the
// root's user and host CAs in its answers -- and the receiving proxy asks its auth to
// take a set that differs from the stored one (update_remote_cas_request; auth only
// accepts a set that shares a key with the trusted one, as every rotation phase does).
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "messages/auth_api.hpp"

namespace tp::actors {

// The CA keys a tunnel line announces (authorized_keys lines; empty: not announced).
struct announced_cas {
  std::string cluster;
  std::vector<std::string> user_ca_keys;
  std::vector<std::string> host_ca_keys;
};

// This proxy's side of the tunnels: the host certificate it presents (renewed during
// a rotation) and its own cluster's CA keys, refreshed from auth.
class tunnel_self {
 public:
  tunnel_self(std::string cluster, std::function<std::string()> host_cert)
      : cluster_(std::move(cluster)), host_cert_(std::move(host_cert)) {}

  const std::string& cluster() const { return cluster_; }
  std::string host_cert() const { return host_cert_(); }
  void set_cas(std::vector<std::string> user_ca_keys, std::vector<std::string> host_ca_keys);

  // The root's answer to a heartbeat: {"ok":true,"cluster","user_ca","host_ca"}.
  std::string answer() const;
  // The leaf's heartbeat: {"cluster","nodes","host_ca"}.
  std::string heartbeat(std::size_t nodes) const;

 private:
  std::string cluster_;
  std::function<std::string()> host_cert_;
  mutable std::mutex mu_;
  std::vector<std::string> user_, host_;
};

// The CAs a heartbeat line or answer announces; nullopt for a line that is not a JSON
// object or whose CA fields are not arrays of strings (at most 8 keys each).
std::optional<announced_cas> parse_announced_cas(const std::string& line);

// The update to ask auth for, when `a` (from the tunnel of `cluster`) announces other
// keys than the stored ones; only the kinds in `stored_*` that are set are compared.
// Nullopt when nothing differs or `a` names another cluster.
std::optional<messages::update_remote_cas_request> remote_ca_change(
    const std::string& cluster, const announced_cas& a,
    const std::optional<std::vector<std::string>>& stored_user_blobs,
    const std::optional<std::vector<std::string>>& stored_host_blobs);

}  // namespace tp::actors
