// The version this build reports, and the compatibility rule between versions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tp {

// "major.minor.patch[-suffix]" of this build. Defined alone in version.cpp so a
// test build can link its own definition in front of the library's.
std::string_view build_version();

struct semver {
  int major = 0;
  int minor = 0;
  int patch = 0;
};

// "1.2.3", "v1.2.3" or "1.2.3-rc.1"; nullopt for anything else.
std::optional<semver> parse_semver(std::string_view text);

// The upgrade rule: a peer of the same major version and at most one minor
// version older than `server` works with it. Empty when compatible, else the
// message to show (names both versions and what to do).
std::string version_incompatibility(std::string_view peer_kind, std::string_view peer,
                                    std::string_view server);

// The stricter rule for clients (tsh, tctl): not older than the server's minor
// version, at most one minor version newer. Empty when compatible.
std::string client_incompatibility(std::string_view client_kind, std::string_view client,
                                   std::string_view server);

}  // namespace tp
