// Joining a cluster: a host without an identity generates its keys, presents a
// join token to the auth server (trusted by CA pin) and receives certificates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/identity/identity_file.hpp"
#include "messages/auth_api.hpp"
#include "messages/result.hpp"
#include "transport/ssh_key.hpp"
#include "transport/x509_key.hpp"

namespace tp::actors {

// Fresh keys for a joining host and the request that asks to certify them.
struct join_keys {
  transport::key_pair ssh;
  transport::x509_private_key tls;
};
tp::result<join_keys> generate_join_keys();
tp::result<messages::join_request> make_join_request(const join_keys& keys, std::string token,
                                                     std::string role, std::string host_id,
                                                     std::string nodename,
                                                     std::vector<std::string> principals);

// The identity to store from a join reply and the keys that were certified.
tp::result<identity> identity_from_join(const messages::join_reply& reply, const join_keys& keys,
                                        const std::string& nodename);

struct join_params {
  std::string auth_host;
  std::uint16_t auth_port = 3025;
  std::string token;
  std::vector<std::string> ca_pins;  // "sha256:<hex>"; empty: trust on first use with a WARN
  std::string role;                  // node or proxy
  std::string host_id;
  std::string nodename;
  std::vector<std::string> additional_principals;
};

// Connects, checks the pin, joins. The error says why the join was refused.
tp::result<identity> join_cluster(const join_params& params);

}  // namespace tp::actors
