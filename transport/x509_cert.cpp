#include "transport/x509_cert.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <cctype>
#include <climits>
#include <ctime>

#include "transport/x509_openssl.hpp"

namespace tp::transport {
namespace {

constexpr std::size_t max_chain_length = 16;

int no_passphrase(char*, int, int, void*) {
  return -1;
}

std::string single_cn(const X509_NAME* name) {
  if (name == nullptr) return {};
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

sys_time to_sys_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return sys_time{};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

x509_certificate::x509_certificate(X509* cert)
    : cert_(cert ? std::shared_ptr<X509>(cert, [](X509* c) { X509_free(c); }) : nullptr) {}

result<x509_certificate> x509_certificate::from_pem(std::string_view pem) {
  ossl::drain_errors();
  auto bio = ossl::memory_bio(pem);
  if (!bio) return make_error("certificate PEM is too large");
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr);
  if (cert == nullptr) return ossl::openssl_error("cannot parse the certificate PEM");
  return x509_certificate(cert);
}

result<std::vector<x509_certificate>> x509_certificate::chain_from_pem(std::string_view pem) {
  ossl::drain_errors();
  auto bio = ossl::memory_bio(pem);
  if (!bio) return make_error("certificate PEM is too large");
  std::vector<x509_certificate> out;
  while (true) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr);
    if (cert == nullptr) {
      unsigned long code = ERR_peek_last_error();
      // Running out of PEM blocks after at least one certificate is the normal end.
      if (!out.empty() && ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
        ossl::drain_errors();
        break;
      }
      return ossl::openssl_error(out.empty() ? "cannot parse the certificate PEM"
                                             : "cannot parse certificate " +
                                                   std::to_string(out.size() + 1) + " of the PEM");
    }
    out.emplace_back(cert);
    if (out.size() > max_chain_length)
      return make_error("more than " + std::to_string(max_chain_length) +
                        " certificates in one PEM chain");
  }
  return out;
}

result<x509_certificate> x509_certificate::from_der(std::string_view der) {
  ossl::drain_errors();
  if (der.size() > static_cast<std::size_t>(LONG_MAX))
    return make_error("certificate DER is too large");
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (cert == nullptr) return ossl::openssl_error("cannot parse the certificate DER");
  x509_certificate out(cert);
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return make_error("trailing bytes after the certificate DER");
  return out;
}

result<std::string> x509_certificate::to_pem() const {
  if (empty()) return make_error("empty certificate");
  ossl::bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), native()) != 1)
    return ossl::openssl_error("cannot encode the certificate as PEM");
  return ossl::bio_contents(bio.get());
}

result<std::string> x509_certificate::to_der() const {
  if (empty()) return make_error("empty certificate");
  int len = i2d_X509(native(), nullptr);
  if (len <= 0) return ossl::openssl_error("cannot encode the certificate as DER");
  std::string out(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_X509(native(), &p) != len)
    return ossl::openssl_error("cannot encode the certificate as DER");
  return out;
}

std::string x509_certificate::subject_common_name() const {
  return empty() ? std::string() : single_cn(X509_get_subject_name(native()));
}

std::string x509_certificate::issuer_common_name() const {
  return empty() ? std::string() : single_cn(X509_get_issuer_name(native()));
}

sys_time x509_certificate::not_before() const {
  return empty() ? sys_time{} : to_sys_time(X509_get0_notBefore(native()));
}

sys_time x509_certificate::not_after() const {
  return empty() ? sys_time{} : to_sys_time(X509_get0_notAfter(native()));
}

bool x509_certificate::is_ca() const {
  return !empty() && (X509_get_extension_flags(native()) & EXFLAG_CA) != 0;
}

bool x509_certificate::is_self_signed() const {
  bool ok = !empty() && X509_self_signed(native(), 1) == 1;
  ossl::drain_errors();
  return ok;
}

x509_public_key x509_certificate::key() const {
  if (empty()) return {};
  EVP_PKEY* key = X509_get_pubkey(native());  // +1 reference
  return x509_public_key(key);
}

bool x509_certificate::operator==(const x509_certificate& other) const {
  if (empty() || other.empty()) return empty() == other.empty();
  return X509_cmp(native(), other.native()) == 0;
}

status check_key_matches(const x509_certificate& cert, const x509_private_key& key) {
  if (cert.empty() || key.empty()) return make_error("empty certificate or key");
  ossl::drain_errors();
  if (X509_check_private_key(cert.native(), key.native()) != 1) {
    ossl::drain_errors();
    return make_error("the private key does not belong to the certificate");
  }
  return {};
}

result<tls_credentials> credentials_from_pem(std::string_view cert_pem, std::string_view key_pem) {
  auto cert = x509_certificate::from_pem(cert_pem);
  if (!cert) return cert.err();
  auto key = x509_private_key::from_pem(key_pem);
  if (!key) return key.err();
  if (auto st = check_key_matches(*cert, *key); !st) return st.err();
  return tls_credentials{std::move(cert).value(), std::move(key).value()};
}

std::string ca_pin(const x509_certificate& ca) {
  if (ca.empty()) return {};
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(ca.native());
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(spki, &der);
  assert(len > 0 && "a parsed certificate always has a SubjectPublicKeyInfo");
  if (len <= 0) return {};
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(len), digest);
  OPENSSL_free(der);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 0xf];
  }
  return out;
}

result<std::string> normalize_ca_pin(std::string_view pin) {
  constexpr std::string_view prefix = "sha256:";
  auto bad = [&] {
    return make_error("invalid CA pin \"" + std::string(pin.substr(0, 100)) +
                      "\": expected sha256:<64 hex digits> as printed by `tctl status`");
  };
  if (pin.size() != prefix.size() + 64 || pin.substr(0, prefix.size()) != prefix) return bad();
  std::string out(prefix);
  for (char c : pin.substr(prefix.size())) {
    if (!is_hex(c)) return bad();
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

status verify_x509_chain(const x509_certificate& leaf, const x509_certificate& ca,
                         x509_purpose purpose, sys_time at,
                         std::span<const x509_certificate> intermediates) {
  if (leaf.empty() || ca.empty()) return make_error("empty certificate");
  if (!ca.is_ca()) return make_error("the trust anchor is not a CA certificate");
  ossl::drain_errors();
  ossl::x509_store_ptr store(X509_STORE_new());
  ossl::x509_store_ctx_ptr ctx(X509_STORE_CTX_new());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  auto free_stack = [&] { sk_X509_free(untrusted); };  // the stack does not own its entries
  if (!store || !ctx || untrusted == nullptr ||
      X509_STORE_add_cert(store.get(), ca.native()) != 1) {
    free_stack();
    return ossl::openssl_error("cannot set up certificate verification");
  }
  for (const auto& c : intermediates) {
    if (!c.empty()) sk_X509_push(untrusted, c.native());
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.native(), untrusted) != 1) {
    free_stack();
    return ossl::openssl_error("cannot set up certificate verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
  if (purpose == x509_purpose::tls_server)
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  if (purpose == x509_purpose::tls_client)
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  int rc = X509_verify_cert(ctx.get());
  int err = X509_STORE_CTX_get_error(ctx.get());
  free_stack();
  ossl::drain_errors();
  if (rc != 1) {
    return make_error(std::string("certificate verification failed: ") +
                      X509_verify_cert_error_string(err));
  }
  return {};
}

}  // namespace tp::transport
