// Joining simulated nodes to the cluster the way `teleport start --token` does:
// one fresh unauthenticated TLS connection per node (the server checked by CA
// pin), one join_request, and the node's certificates in the reply. All
// simulated nodes present the same SSH and TLS public keys (keys are made by
// the node, not by auth, so this spares the bench 50,000 key generations and
// changes nothing on auth's side); each gets its own host ID and certificate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/client/join.hpp"
#include "messages/result.hpp"

namespace tp::bench {

struct join_target {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string token;
  std::string ca_pin;  // sha256:...
};

struct joined_node {
  std::string host_id;
  std::string nodename;
  std::string source_ip;     // the 127.0.0.x it connects from and announces
  std::string tls_cert_pem;  // CN = host_id, O = node
};

struct join_outcome {
  std::vector<joined_node> nodes;  // in index order; failed joins are missing
  double seconds = 0;
  std::size_t failed = 0;
  std::string first_error;
};

// The simulated node `index`: host ID, name and source address.
joined_node simulated_node(std::size_t index, std::size_t source_addresses);

// Joins nodes [first, first + count) on `threads` threads.
join_outcome join_nodes(const join_target& target, const actors::join_keys& keys, std::size_t first,
                        std::size_t count, std::size_t source_addresses, unsigned threads);

}  // namespace tp::bench
