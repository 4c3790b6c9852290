#include "config/address.hpp"

#include <arpa/inet.h>

#include "config/values.hpp"

namespace tp::config {
namespace {

bool is_ipv4(const std::string& h) {
  in_addr a{};
  return inet_pton(AF_INET, h.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& h) {
  in6_addr a{};
  return inet_pton(AF_INET6, h.c_str(), &a) == 1;
}

// RFC 1123 names; '_' is tolerated because internal DNS often has it.
bool is_dns_name(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  std::size_t label = 0;
  char prev = '.';
  bool all_numeric = true;  // "999.1.1.1" is a broken IPv4 address, not a name
  for (char c : h) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c == '.') {
      if (prev == '.' || prev == '-') return false;
      label = 0;
    } else if (alnum || c == '-' || c == '_') {
      if (c == '-' && prev == '.') return false;
      if (c < '0' || c > '9') all_numeric = false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return prev != '-' && !all_numeric;
}

}  // namespace

std::uint16_t default_port(address_kind kind) {
  switch (kind) {
    case address_kind::node_ssh:
      return default_node_ssh_port;
    case address_kind::proxy_ssh:
      return default_proxy_ssh_port;
    case address_kind::proxy_tunnel:
      return default_tunnel_port;
    case address_kind::auth:
      return default_auth_port;
    case address_kind::proxy_web:
      return default_web_port;
  }
  return 0;
}

bool is_ip_literal(std::string_view host) {
  const std::string h(host);
  return is_ipv4(h) || is_ipv6(h);
}

bool address::is_ipv6() const {
  return host.find(':') != std::string::npos;
}

std::string address::to_string() const {
  const std::string p = std::to_string(port);
  return is_ipv6() ? "[" + host + "]:" + p : host + ":" + p;
}

result<address> parse_address(std::string_view text, std::uint16_t default_port) {
  if (text.empty()) return make_error("empty address (expected host:port)");
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return make_error("invalid address " + quote(text) +
                        ": contains whitespace or control characters");
    }
  }
  std::string host;
  std::string_view port_text;
  bool has_port = false;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return make_error("invalid address " + quote(text) + ": missing ']'");
    }
    host = std::string(text.substr(1, close - 1));
    if (!is_ipv6(host)) {
      return make_error("invalid address " + quote(text) + ": " + quote(host) +
                        " is not an IPv6 address");
    }
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return make_error("invalid address " + quote(text) + ": expected ':' after ']'");
      }
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      // Several colons: only a bare IPv6 literal (no port) makes sense.
      if (is_ipv6(std::string(text))) {
        host = std::string(text);
      } else {
        return make_error("invalid address " + quote(text) +
                          ": too many colons (write IPv6 addresses as [addr]:port)");
      }
    } else if (colon != std::string_view::npos) {
      host = std::string(text.substr(0, colon));
      has_port = true;
      port_text = text.substr(colon + 1);
    } else {
      host = std::string(text);
    }
    if (host.empty()) host = "0.0.0.0";
    if (!is_ip_literal(host) && !is_dns_name(host)) {
      return make_error("invalid address " + quote(text) + ": bad host name " + quote(host));
    }
  }
  address a{std::move(host), default_port};
  if (has_port) {
    if (port_text.empty()) return make_error("invalid address " + quote(text) + ": missing port");
    auto p = parse_uint(port_text, 65535);
    if (!p || *p == 0)
      return make_error("invalid port " + quote(port_text) + " (expected 1-65535)");
    a.port = static_cast<std::uint16_t>(*p);
  } else if (default_port == 0) {
    return make_error("invalid address " + quote(text) + ": missing port (expected host:port)");
  }
  return a;
}

}  // namespace tp::config
