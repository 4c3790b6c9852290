// Who a control-plane certificate speaks for: subject CN = name, subject O
// values = roles, issuer CN = cluster.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "transport/x509_cert.hpp"

namespace tp::transport {

// Roles a control-plane certificate may carry (the `--roles` of teleport plus
// tctl's admin). Extend here when a new kind of caller appears.
inline constexpr std::array<std::string_view, 4> known_roles = {"admin", "node", "proxy", "auth"};
bool is_known_role(std::string_view role);

// Names and cluster names: 1..255 bytes of UTF-8 without control characters.
status validate_identity_name(std::string_view name, std::string_view what);

struct peer_identity {
  std::string name;                // subject CN
  std::vector<std::string> roles;  // subject O values, in certificate order, no duplicates
  std::string cluster;             // issuer CN: the cluster whose CA signed the certificate
  sys_time not_after;

  bool has_role(std::string_view role) const;
  bool operator==(const peer_identity&) const = default;
};

// Reads the identity of a certificate that the caller has ALREADY verified
// against the cluster CA (this function checks form, not trust). Errors when
// the name is missing/duplicated or a role is unknown or repeated.
result<peer_identity> identity_from_certificate(const x509_certificate& verified);

}  // namespace tp::transport
