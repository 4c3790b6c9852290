// Checks the TLS clients of transport/ (tls_client, web_client, http_client) share:
// which server name a certificate must carry, and which TLS alerts mean the server
// refused our client certificate. Internal to transport/.
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace tp::transport {

// An IPv4 or IPv6 address literal (no brackets), not a host name.
bool is_ip_literal(const std::string& host);

// Sends SNI for a host name and, when `verify`, makes the handshake check that the
// server certificate names `host` (as a DNS name, or as an IP address for a literal).
void expect_server_name(SSL* ssl, const std::string& host, bool verify);

// A TLS alert by which the server says it does not accept the client's certificate.
bool is_client_certificate_alert(const boost::system::error_code& ec);

}  // namespace tp::transport
