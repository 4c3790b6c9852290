// Checks that need the whole configuration (or the file system) after the file and
// the flags have been applied, and the finishing touches that depend on them:
// token files are read, license_file is resolved, u2f facets get their default.
#pragma once

#include <string_view>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "messages/result.hpp"

namespace tp::config {

// "sha256:" followed by 64 hex digits (the SHA-256 of the CA's public key).
status check_ca_pin(std::string_view pin);

// A node name: 1-255 characters, no whitespace, control characters or '/'.
status check_nodename(std::string_view name);

// An etcd peer URL: http:// or https:// followed by host[:port].
status check_peer_url(std::string_view url);

// Runs every check, reporting all problems to `diag` at the origin of the key
// concerned. Fills auth_service.tokens[].value from token files, global.auth_token
// from its file when it is a /path, resolves auth_service.license_file and defaults
// u2f facets. Adds warnings for accepted-but-risky settings to `diag`.
void validate_config(teleport_config& cfg, const origin_map& origins, diagnostics& diag);

}  // namespace tp::config
