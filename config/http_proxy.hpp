// HTTP CONNECT proxy settings from the environment (HTTPS_PROXY / HTTP_PROXY),
// used for reverse tunnels and trust establishment with other clusters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/address.hpp"
#include "messages/result.hpp"

namespace tp::config {

struct http_proxy {
  std::string scheme;  // "http" or "https"
  address addr;
  bool operator==(const http_proxy&) const = default;
};

// "scheme://host:port" with scheme http or https; a bare "host:port" means http.
// A missing port defaults to 80 (http) or 443 (https). A trailing '/' is allowed.
result<http_proxy> parse_http_proxy(std::string_view text);

// The first set, non-empty variable of HTTPS_PROXY, https_proxy, HTTP_PROXY,
// http_proxy, parsed; nullopt when none is set. `getenv` is injectable for tests.
result<std::optional<http_proxy>> http_proxy_from_env(
    const char* (*getenv_fn)(const char*) = nullptr);

// True when a NO_PROXY list excludes host:port: "*", exact names or IP literals,
// ".suffix" or "suffix" domain matches; an entry's optional ":port" must match too.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

// The proxy for a connection to host:port: http_proxy_from_env unless NO_PROXY
// (or no_proxy) excludes the destination.
result<std::optional<http_proxy>> http_proxy_for(std::string_view host, std::uint16_t port,
                                                 const char* (*getenv_fn)(const char*) = nullptr);

}  // namespace tp::config
