// OpenSSL contexts for the control plane (internal to transport/: includes Asio).
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "transport/x509_cert.hpp"

namespace tp::transport::detail {

using ssl_context_ptr = std::unique_ptr<boost::asio::ssl::context>;

// TLS 1.2+ (1.3 preferred), ECDHE AEAD suites only, no compression, no
// renegotiation, no session resumption (every connection verifies its peer
// afresh). The chain sent is [leaf, ca] so that joining clients can check the
// CA pin. Client certificates are requested but optional; one that is
// presented must verify against `ca` or one of `also_trusted` (the other CA
// during a rotation), else the handshake fails.
result<ssl_context_ptr> make_server_context(const tls_credentials& server,
                                            const x509_certificate& ca,
                                            const std::vector<x509_certificate>& also_trusted);

// Same protocol settings; presents `client` when given. Server verification is
// installed by the caller (tls_client) through SSL_CTX_set_cert_verify_callback.
result<ssl_context_ptr> make_client_context(const std::optional<tls_credentials>& client);

// "TLS error: <reason>" for an error code from Asio's ssl layer or sockets.
std::string describe(const boost::system::error_code& ec);

}  // namespace tp::transport::detail
