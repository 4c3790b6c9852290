// Network addresses in teleport.yaml and on the command line: "host:port",
// "[::1]:3022", ":3022" (all interfaces) or a bare host taking its service's port.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::config {

inline constexpr std::uint16_t default_node_ssh_port = 3022;
inline constexpr std::uint16_t default_proxy_ssh_port = 3023;
inline constexpr std::uint16_t default_tunnel_port = 3024;
inline constexpr std::uint16_t default_auth_port = 3025;
inline constexpr std::uint16_t default_web_port = 3080;

// What an address is for; decides the port used when the text has none.
enum class address_kind { node_ssh, proxy_ssh, proxy_tunnel, auth, proxy_web };

std::uint16_t default_port(address_kind kind);

struct address {
  std::string host;  // hostname, IPv4 or IPv6 literal (without brackets)
  std::uint16_t port = 0;

  bool is_ipv6() const;
  // "host:port", with IPv6 hosts in brackets.
  std::string to_string() const;
  bool operator==(const address&) const = default;
};

// Parses `text`. An empty host (":3022") means all interfaces, 0.0.0.0. When the
// port is missing `default_port` is used, or it is an error if that is 0. Ports
// must be 1..65535; hosts must be IP literals or well-formed DNS names.
result<address> parse_address(std::string_view text, std::uint16_t default_port);
inline result<address> parse_address(std::string_view text, address_kind kind) {
  return parse_address(text, default_port(kind));
}

// True for an IPv4 or IPv6 literal (no brackets, no port).
bool is_ip_literal(std::string_view host);

}  // namespace tp::config
