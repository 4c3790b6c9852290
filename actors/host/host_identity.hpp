// What a node or proxy needs before it can serve: its identity in the
// cluster, loaded from data_dir or obtained by joining with a token.
#pragma once

#include <cstdint>
#include <string>

#include "actors/identity/identity_file.hpp"
#include "config/config.hpp"

namespace tp::actors {

// Where this process reaches the auth service: its own listener when it runs
// the auth role (0.0.0.0 becomes 127.0.0.1), else the first auth_servers entry.
config::address auth_address(const config::teleport_config& cfg);
// Every auth server to try, in order: this process's own when it runs auth, else
// teleport.auth_servers (several for HA; the first is auth_address()).
std::vector<config::address> auth_addresses(const config::teleport_config& cfg);

// The stored identity for `role` ("node"/"proxy"), or a new one from joining
// with cfg.global.auth_token (then stored). Errors say what to do.
tp::result<identity> load_or_join(const config::teleport_config& cfg, const std::string& role);

}  // namespace tp::actors
