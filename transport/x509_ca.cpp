#include "transport/x509_ca.hpp"

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>

#include "transport/x509_identity.hpp"
#include "transport/x509_openssl.hpp"

namespace tp::transport {
namespace {

using std::chrono::system_clock;

status add_name_entry(X509_NAME* name, int nid, std::string_view value) {
  // A plain UTF8String type bypasses OpenSSL's 64-byte CN table limit; our
  // names follow hostnames (up to 253 bytes) and validate_identity_name already
  // bounded them.
  if (value.size() > INT_MAX) return make_error("name too long");
  if (X509_NAME_add_entry_by_NID(name, nid, V_ASN1_UTF8STRING,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1)
    return ossl::openssl_error("cannot build the certificate subject");
  return {};
}

status add_conf_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ossl::x509_ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return ossl::openssl_error(std::string("cannot add the certificate extension ") +
                               OBJ_nid2sn(nid));
  return {};
}

bool valid_dns_name(std::string_view host) {
  if (host.starts_with("*.")) host.remove_prefix(2);
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 || label > 63 || host[i - 1] == '-' || host[i - label] == '-') return false;
      label = 0;
      continue;
    }
    char c = host[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
    ++label;
  }
  return true;
}

// Builds the subjectAltName list directly (not through a config string, so a
// hostile host name cannot smuggle in extra entries).
result<ossl::general_names_ptr> build_sans(const std::vector<std::string>& hosts) {
  ossl::general_names_ptr names(GENERAL_NAMES_new());
  if (!names) return ossl::openssl_error("out of memory");
  for (const auto& host : hosts) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (gn == nullptr) return ossl::openssl_error("out of memory");
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
        ip != nullptr && host.find('\0') == std::string::npos) {
      GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
    } else {
      if (ip != nullptr) ASN1_OCTET_STRING_free(ip);
      ossl::drain_errors();
      if (!valid_dns_name(host)) {
        GENERAL_NAME_free(gn);
        return make_error("\"" + host.substr(0, 260) +
                          "\" is neither an IP address nor a valid DNS name");
      }
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      if (dns == nullptr || ASN1_STRING_set(dns, host.data(), static_cast<int>(host.size())) != 1) {
        if (dns != nullptr) ASN1_IA5STRING_free(dns);
        GENERAL_NAME_free(gn);
        return ossl::openssl_error("out of memory");
      }
      GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
    }
    if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
      GENERAL_NAME_free(gn);
      return ossl::openssl_error("out of memory");
    }
  }
  return names;
}

status set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return ossl::openssl_error("no randomness for the serial");
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x40;  // and never zero / never shorter than 16 bytes
  ossl::bignum_ptr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr)
    return ossl::openssl_error("cannot set the serial number");
  return {};
}

status set_validity(X509* cert, sys_time not_before, sys_time not_after) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), system_clock::to_time_t(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), system_clock::to_time_t(not_after)) == nullptr)
    return ossl::openssl_error("cannot set the validity window");
  return {};
}

status sign(X509* cert, const x509_private_key& key) {
  // Ed25519 signs the message itself; the others sign a SHA-256 digest.
  const EVP_MD* md =
      EVP_PKEY_get_base_id(key.native()) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert, key.native(), md) <= 0)
    return ossl::openssl_error("cannot sign the certificate");
  return {};
}

}  // namespace

result<tls_credentials> create_ca(std::string_view cluster_name, x509_key_algorithm algorithm,
                                  sys_time now) {
  if (auto st = validate_identity_name(cluster_name, "the cluster name"); !st) return st.err();
  ossl::drain_errors();
  auto key = x509_private_key::generate(algorithm);
  if (!key) return key.err();
  ossl::x509_ptr cert(X509_new());
  if (!cert) return ossl::openssl_error("out of memory");
  X509* x = cert.get();
  if (X509_set_version(x, X509_VERSION_3) != 1)
    return ossl::openssl_error("cannot set the version");
  if (auto st = set_random_serial(x); !st) return st.err();
  if (auto st = set_validity(x, now - std::chrono::minutes(1), now + ca_validity); !st)
    return st.err();
  if (auto st = add_name_entry(X509_get_subject_name(x), NID_commonName, cluster_name); !st)
    return st.err();
  if (X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
      X509_set_pubkey(x, key->native()) != 1)
    return ossl::openssl_error("cannot build the CA certificate");
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                            std::pair{NID_subject_key_identifier, "hash"},
                            std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (auto st = add_conf_ext(x, x, nid, value); !st) return st.err();
  }
  if (auto st = sign(x, *key); !st) return st.err();
  return tls_credentials{x509_certificate(cert.release()), std::move(key).value()};
}

result<x509_certificate> issue_certificate(const tls_credentials& ca,
                                           const x509_public_key& subject_key,
                                           const leaf_request& req) {
  if (ca.cert.empty() || ca.key.empty()) return make_error("the CA credentials are empty");
  if (subject_key.empty()) return make_error("no public key to certify");
  if (!ca.cert.is_ca()) return make_error("the issuing certificate is not a CA");
  if (auto st = check_key_matches(ca.cert, ca.key); !st)
    return make_error("the CA's private key does not belong to the CA certificate");
  if (auto st = validate_identity_name(req.name, "the certificate name"); !st) return st.err();
  if (req.roles.empty()) return make_error("a certificate needs at least one role");
  for (std::size_t i = 0; i < req.roles.size(); ++i) {
    if (!is_known_role(req.roles[i]))
      return make_error("unknown role \"" + req.roles[i].substr(0, 64) +
                        "\" (expected admin, node, proxy or auth)");
    if (std::count(req.roles.begin(), req.roles.end(), req.roles[i]) > 1)
      return make_error("role \"" + req.roles[i] + "\" is listed twice");
  }
  if (req.not_after <= req.not_before)
    return make_error("the certificate's validity window is empty (not_after <= not_before)");
  if (req.not_after > ca.cert.not_after())
    return make_error("the certificate would outlive its CA");
  if (req.hosts.size() > 64) return make_error("more than 64 host names for one certificate");
  auto sans = build_sans(req.hosts);
  if (!sans) return sans.err();

  ossl::drain_errors();
  ossl::x509_ptr cert(X509_new());
  if (!cert) return ossl::openssl_error("out of memory");
  X509* x = cert.get();
  if (X509_set_version(x, X509_VERSION_3) != 1)
    return ossl::openssl_error("cannot set the version");
  if (auto st = set_random_serial(x); !st) return st.err();
  if (auto st = set_validity(x, req.not_before, req.not_after); !st) return st.err();
  X509_NAME* subject = X509_get_subject_name(x);
  if (auto st = add_name_entry(subject, NID_commonName, req.name); !st) return st.err();
  for (const auto& role : req.roles) {
    if (auto st = add_name_entry(subject, NID_organizationName, role); !st) return st.err();
  }
  if (X509_set_issuer_name(x, X509_get_subject_name(ca.cert.native())) != 1 ||
      X509_set_pubkey(x, subject_key.native()) != 1)
    return ossl::openssl_error("cannot build the certificate");
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                            std::pair{NID_key_usage, "critical,digitalSignature"},
                            std::pair{NID_ext_key_usage, "serverAuth,clientAuth"},
                            std::pair{NID_subject_key_identifier, "hash"},
                            std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (auto st = add_conf_ext(x, ca.cert.native(), nid, value); !st) return st.err();
  }
  if (!req.hosts.empty() &&
      X509_add1_ext_i2d(x, NID_subject_alt_name, sans->get(), 0, X509V3_ADD_DEFAULT) != 1)
    return ossl::openssl_error("cannot add the subjectAltName extension");
  if (auto st = sign(x, ca.key); !st) return st.err();
  return x509_certificate(cert.release());
}

result<tls_credentials> issue_credentials(const tls_credentials& ca, const leaf_request& request,
                                          x509_key_algorithm algorithm) {
  auto key = x509_private_key::generate(algorithm);
  if (!key) return key.err();
  auto cert = issue_certificate(ca, key->public_part(), request);
  if (!cert) return cert.err();
  return tls_credentials{std::move(cert).value(), std::move(key).value()};
}

}  // namespace tp::transport
