// The auth servers a host learns of (HA): a heartbeat a minute asks auth which auth servers
// the cluster has (auth_servers_request, 0.2.0 on) and keeps the answer in
// data_dir/authservers.json, which takes precedence over teleport.auth_servers at the
// next start, as the reference describes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/client/auth_servers.hpp"
#include "config/address.hpp"
#include "messages/result.hpp"

namespace tp::actors {

// Whether an auth server of this version answers auth_servers_request.
bool auth_knows_auth_list(std::string_view server_version);

// data_dir/authservers.json: a JSON array of "host:port"; nullopt when absent, empty or
// unreadable (then the configuration applies).
std::optional<std::vector<config::address>> read_auth_servers_file(const std::string& data_dir);
tp::status write_auth_servers_file(const std::string& data_dir,
                                   const std::vector<config::address>& list);

// One round: asks auth, and when the list differs from `auths`, stores and uses it.
// Errors (auth did not answer) change nothing.
tp::status learn_auth_servers(auth_client& client, auth_servers& auths, const std::string& data_dir,
                              const std::string& role);

}  // namespace tp::actors
