// Internal to the SSH key code: RAII holders and small conversions for OpenSSL 3 objects.
// Not part of the public API; include only from transport/ssh_*.cpp.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::transport::detail {

struct bn_free {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
struct md_ctx_free {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct pkey_ctx_free {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct param_bld_free {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct param_free {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_free>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, param_bld_free>;
using param_ptr = std::unique_ptr<OSSL_PARAM, param_free>;

inline std::shared_ptr<EVP_PKEY> share_pkey(EVP_PKEY* p) {
  return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free);
}

// An error carrying OpenSSL's own reason (and clearing its thread-local error queue, so a
// stale entry never shows up in a later, unrelated message).
inline error openssl_error(std::string what) {
  const unsigned long code = ERR_get_error();
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    what.append(" (").append(buf).append(")");
  }
  ERR_clear_error();
  return make_error(std::move(what));
}

inline bn_ptr bn_from_bytes(std::string_view magnitude) {
  return bn_ptr(BN_bin2bn(reinterpret_cast<const unsigned char*>(magnitude.data()),
                          static_cast<int>(magnitude.size()), nullptr));
}

inline std::string bn_to_bytes(const BIGNUM* bn) {
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// Reads a big-number parameter of a key (e.g. OSSL_PKEY_PARAM_RSA_N) as a magnitude.
inline result<std::string> pkey_bn_param(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    return openssl_error(std::string("cannot read key parameter ") + name);
  }
  bn_ptr holder(bn);
  return bn_to_bytes(bn);
}

inline const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace tp::transport::detail
