// The HTTP CONNECT proxy a leaf cluster's outbound connections to a root cluster
// take (trust exchange, reverse tunnel), from HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "messages/result.hpp"
#include "transport/tcp_dial.hpp"

namespace tp::actors {

// Nothing when no proxy applies to host:port; an error for a malformed setting or
// an https:// proxy (CONNECT over TLS to the proxy is not supported).
tp::result<std::optional<transport::connect_proxy>> outbound_proxy_for(std::string_view host,
                                                                       std::uint16_t port);

// Checks the environment's proxy setting once at start.
tp::status check_outbound_proxy();

}  // namespace tp::actors
