// SSH signature blobs (RFC 8709 ed25519, RFC 5656 ECDSA, RFC 8332 RSA/SHA-2) for the
// key classes declared in ssh_key.hpp.
#include <openssl/ecdsa.h>

#include <cassert>

#include "transport/ssh_key.hpp"
#include "transport/ssh_key_internal.hpp"

namespace tp::transport {

using namespace detail;

namespace {

constexpr std::string_view k_rsa_sha512 = "rsa-sha2-512";
constexpr std::string_view k_rsa_sha256 = "rsa-sha2-256";

// Signs with a digest (nullptr for ed25519, which hashes internally).
result<std::string> raw_sign(EVP_PKEY* key, const EVP_MD* md, std::string_view data) {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, bytes(data), data.size()) != 1) {
    return openssl_error("signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(data),
                     data.size()) != 1) {
    return openssl_error("signing failed");
  }
  sig.resize(len);
  return sig;
}

bool raw_verify(EVP_PKEY* key, const EVP_MD* md, std::string_view data, std::string_view sig) {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
      EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(data), data.size()) == 1;
  ERR_clear_error();  // a failed verification is an answer, not an error to keep around
  return ok;
}

std::string wrap(std::string_view algorithm, std::string_view sig) {
  wire_writer w;
  w.string(algorithm);
  w.string(sig);
  return std::move(w).take();
}

struct ecdsa_sig_free {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, ecdsa_sig_free>;

// OpenSSL produces DER; SSH carries r and s as two mpints.
result<std::string> der_to_ssh_ecdsa(std::string_view der) {
  const unsigned char* p = bytes(der);
  ecdsa_sig_ptr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return openssl_error("cannot decode an ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  wire_writer w;
  w.mpint(bn_to_bytes(r));
  w.mpint(bn_to_bytes(s));
  return std::move(w).take();
}

result<std::string> ssh_to_der_ecdsa(std::string_view blob, const curve_info& c) {
  wire_reader r(blob, "ECDSA signature");
  auto rv = r.mpint("r", c.field_bytes);
  if (!rv) return rv.err();
  auto sv = r.mpint("s", c.field_bytes);
  if (!sv) return sv.err();
  if (auto end = r.expect_end("s"); !end) return end.err();
  ecdsa_sig_ptr sig(ECDSA_SIG_new());
  bn_ptr rb = bn_from_bytes(*rv), sb = bn_from_bytes(*sv);
  if (!sig || !rb || !sb || ECDSA_SIG_set0(sig.get(), rb.get(), sb.get()) != 1) {
    return openssl_error("cannot build an ECDSA signature");
  }
  rb.release(), sb.release();  // now owned by sig
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return openssl_error("cannot encode an ECDSA signature");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

result<std::string> key_pair::sign(std::string_view data) const {
  assert(pkey_);
  const key_type t = type();
  if (t == key_type::ed25519) {
    auto sig = raw_sign(pkey_.get(), nullptr, data);
    if (!sig) return sig;
    return wrap(key_type_name(t), *sig);
  }
  if (t == key_type::rsa) {
    auto sig = raw_sign(pkey_.get(), EVP_sha512(), data);
    if (!sig) return sig;
    return wrap(k_rsa_sha512, *sig);
  }
  const curve_info* c = curve_of(t);
  assert(c);
  auto der = raw_sign(pkey_.get(), c->digest(), data);
  if (!der) return der;
  auto body = der_to_ssh_ecdsa(*der);
  if (!body) return body;
  return wrap(key_type_name(t), *body);
}

result<std::string> signature_algorithm(std::string_view signature) {
  wire_reader r(signature, "signature");
  auto alg = r.text("algorithm", 128);
  if (!alg) return alg.err();
  return std::string(*alg);
}

status public_key::verify(std::string_view data, std::string_view signature) const {
  if (empty()) return make_error("signature: no key to verify with");
  wire_reader r(signature, "signature");
  auto alg = r.text("algorithm", 128);
  if (!alg) return alg.err();
  auto body = r.string("signature bytes");
  if (!body) return body.err();
  if (auto end = r.expect_end("the signature bytes"); !end) return end.err();

  const std::string_view key_name = key_type_name(type_);
  const auto mismatch = [&] {
    return make_error("signature: algorithm \"" + std::string(*alg) + "\" cannot come from a " +
                      std::string(key_name) + " key");
  };
  bool ok = false;
  if (type_ == key_type::ed25519) {
    if (*alg != key_name) return mismatch();
    if (body->size() != 64) return make_error("signature: ed25519 signature is not 64 bytes");
    ok = raw_verify(pkey_.get(), nullptr, data, *body);
  } else if (type_ == key_type::rsa) {
    const EVP_MD* md = nullptr;
    if (*alg == k_rsa_sha512) {
      md = EVP_sha512();
    } else if (*alg == k_rsa_sha256) {
      md = EVP_sha256();
    } else if (*alg == key_name) {
      return make_error(
          "signature: SHA-1 RSA signatures (\"ssh-rsa\") are refused; "
          "re-sign with rsa-sha2-512 or rsa-sha2-256");
    } else {
      return mismatch();
    }
    // RFC 8332: the signature is as long as the modulus; a shorter one (leading zeros
    // dropped by a signer) is padded back rather than refused.
    const std::size_t mod_len = (bits() + 7) / 8;
    if (body->size() > mod_len) return make_error("signature: RSA signature longer than the key");
    std::string padded(mod_len - body->size(), '\0');
    padded.append(*body);
    ok = raw_verify(pkey_.get(), md, data, padded);
  } else {
    if (*alg != key_name) return mismatch();
    const curve_info* c = curve_of(type_);
    assert(c);
    auto der = ssh_to_der_ecdsa(*body, *c);
    if (!der) return der.err();
    ok = raw_verify(pkey_.get(), c->digest(), data, *der);
  }
  if (!ok)
    return make_error("signature: does not verify with the " + std::string(key_name) + " key " +
                      fingerprint());
  return {};
}

}  // namespace tp::transport
