#include "transport/tls_context.hpp"

#include <openssl/ssl.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include "transport/x509_openssl.hpp"

namespace tp::transport::detail {
namespace ssl = boost::asio::ssl;

namespace {

// ECDHE with AEAD only for TLS 1.2; TLS 1.3 suites are all fine as they are.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

result<ssl_context_ptr> base_context(ssl::context::method method) {
  try {
    auto ctx = std::make_unique<ssl::context>(method);
    SSL_CTX* c = ctx->native_handle();
    if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(c, tls12_ciphers) != 1)
      return ossl::openssl_error("cannot configure TLS");
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(c, 0);
    return ctx;
  } catch (const std::exception& e) {
    return make_error(std::string("cannot create a TLS context: ") + e.what());
  }
}

status use_credentials(SSL_CTX* c, const tls_credentials& creds) {
  if (creds.cert.empty() || creds.key.empty()) return make_error("empty TLS certificate or key");
  if (SSL_CTX_use_certificate(c, creds.cert.native()) != 1 ||
      SSL_CTX_use_PrivateKey(c, creds.key.native()) != 1 || SSL_CTX_check_private_key(c) != 1)
    return ossl::openssl_error("cannot use the TLS certificate and key");
  return {};
}

}  // namespace

result<ssl_context_ptr> make_server_context(const tls_credentials& server,
                                            const x509_certificate& ca,
                                            const std::vector<x509_certificate>& also_trusted) {
  if (ca.empty() || !ca.is_ca())
    return make_error("the TLS server needs the cluster CA certificate");
  ossl::drain_errors();
  auto ctx = base_context(ssl::context::tls_server);
  if (!ctx) return ctx.err();
  SSL_CTX* c = (*ctx)->native_handle();
  if (auto st = use_credentials(c, server); !st) return st.err();
  if (SSL_CTX_add1_chain_cert(c, ca.native()) != 1 ||
      X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ca.native()) != 1 ||
      SSL_CTX_add_client_CA(c, ca.native()) != 1)
    return ossl::openssl_error("cannot install the cluster CA");
  for (const auto& other : also_trusted) {
    if (other.empty() || !other.is_ca()) return make_error("a trusted TLS CA is not a CA");
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(c), other.native()) != 1 ||
        SSL_CTX_add_client_CA(c, other.native()) != 1)
      return ossl::openssl_error("cannot install a trusted TLS CA");
  }
  // VERIFY_PEER without FAIL_IF_NO_PEER_CERT: a certificate is optional (joining
  // clients have none), but one that is sent must verify.
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, nullptr);
  SSL_CTX_set_verify_depth(c, 1);  // leaf + at most one intermediate
  return std::move(ctx).value();
}

result<ssl_context_ptr> make_client_context(const std::optional<tls_credentials>& client) {
  ossl::drain_errors();
  auto ctx = base_context(ssl::context::tls_client);
  if (!ctx) return ctx.err();
  if (client) {
    if (auto st = use_credentials((*ctx)->native_handle(), *client); !st) return st.err();
  }
  SSL_CTX_set_verify((*ctx)->native_handle(), SSL_VERIFY_PEER, nullptr);
  return std::move(ctx).value();
}

std::string describe(const boost::system::error_code& ec) {
  if (ec == boost::asio::error::eof || ec == ssl::error::stream_truncated)
    return "the connection was closed by the peer";
  std::string msg = ec.message();
  if (ec.category() == boost::asio::error::get_ssl_category()) return "TLS error: " + msg;
  return msg;
}

}  // namespace tp::transport::detail
