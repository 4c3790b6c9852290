// How a control-plane client decides to trust the auth server's certificate
// chain. Pure logic (no sockets), used by tls_client's verify callback.
//
// What is checked, in order:
//  1. The trust anchor: the configured cluster CA; else (joining) the CA
//     certificate the server sent in its chain whose pin equals the expected
//     pin; else (insecure, caller must WARN) the self-signed CA at the top of
//     the presented chain.
//  2. The server's leaf chains to that anchor now, with the serverAuth EKU.
//  3. The leaf carries a well-formed identity (x509_identity) with
//     `expected_role` (default "auth"), so another node of the same cluster
//     cannot pose as the auth server.
//  4. Only when `expected_name` is set: the leaf's SANs cover that DNS name or
//     IP. Off by default: nodes reach auth through addresses (load balancers,
//     NAT) that its certificate may not list; 1-3 already pin the cluster.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "transport/x509_cert.hpp"
#include "transport/x509_identity.hpp"

namespace tp::transport {

struct server_trust {
  std::optional<x509_certificate> ca;  // the cluster CA, when the client has it
  // Further anchors beside `ca`: during a CA rotation the old and the new CA are both
  // trusted, whichever one signed the server's certificate.
  std::vector<x509_certificate> also_trusted;
  std::optional<std::string> ca_pin;   // "sha256:<hex>" (normalize_ca_pin'd)
  bool allow_insecure = false;         // no CA and no pin: trust on first use
  std::string expected_role = "auth";  // "" accepts any known role
  std::optional<std::string> expected_name;
};

struct trusted_server {
  peer_identity identity;
  std::string ca_pin;  // pin of the anchor the chain verified against
};

// `chain` is what the server presented, leaf first.
result<trusted_server> check_server_chain(const std::vector<x509_certificate>& chain,
                                          const server_trust& trust,
                                          sys_time now = std::chrono::system_clock::now());

}  // namespace tp::transport
