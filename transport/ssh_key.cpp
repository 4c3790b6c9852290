#include "transport/ssh_key.hpp"

#include <openssl/sha.h>

#include <array>
#include <cassert>
#include <cstring>

#include "transport/ssh_key_internal.hpp"

namespace tp::transport {

using detail::curve_info;
using detail::pkey_result;

namespace {

struct type_names {
  key_type type;
  std::string_view name;
  std::string_view cert_name;
};

constexpr std::array<type_names, 5> k_types{{
    {key_type::ed25519, "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com"},
    {key_type::ecdsa_p256, "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com"},
    {key_type::ecdsa_p384, "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com"},
    {key_type::ecdsa_p521, "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com"},
    {key_type::rsa, "ssh-rsa", "ssh-rsa-cert-v01@openssh.com"},
}};

const std::array<curve_info, 3> k_curves{{
    {key_type::ecdsa_p256, "nistp256", "prime256v1", 32, EVP_sha256},
    {key_type::ecdsa_p384, "nistp384", "secp384r1", 48, EVP_sha384},
    {key_type::ecdsa_p521, "nistp521", "secp521r1", 66, EVP_sha512},
}};

constexpr std::string_view k_cert_suffix = "-cert-v01@openssh.com";

// What `from_evp` learns about an OpenSSL key: its SSH type and canonical blob.
struct described_key {
  key_type type;
  std::string blob;
};

result<described_key> describe(EVP_PKEY* pkey) {
  wire_writer w;
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    unsigned char pub[32];
    std::size_t len = sizeof pub;
    if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1 || len != sizeof pub) {
      return detail::openssl_error("cannot read the ed25519 public key");
    }
    w.string(key_type_name(key_type::ed25519));
    w.string(std::string_view(reinterpret_cast<char*>(pub), len));
    return described_key{key_type::ed25519, std::move(w).take()};
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       nullptr) != 1) {
      return detail::openssl_error("cannot read the curve of an EC key");
    }
    const curve_info* curve = nullptr;
    for (const auto& c : k_curves) {
      if (std::strcmp(group, c.group) == 0) curve = &c;
    }
    if (!curve) {
      return make_error(std::string("EC curve ") + group +
                        " is not used by SSH (use P-256, P-384 or P-521)");
    }
    std::string point(1 + 2 * curve->field_bytes, '\0');
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
                                        reinterpret_cast<unsigned char*>(point.data()),
                                        point.size(), &len) != 1 ||
        len != point.size() || point[0] != 0x04) {
      return detail::openssl_error("cannot read the EC public point in uncompressed form");
    }
    w.string(key_type_name(curve->type));
    w.string(curve->curve_id);
    w.string(point);
    return described_key{curve->type, std::move(w).take()};
  }
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    auto n = detail::pkey_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N);
    auto e = detail::pkey_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E);
    if (!n) return n.err();
    if (!e) return e.err();
    w.string(key_type_name(key_type::rsa));
    w.mpint(*e);
    w.mpint(*n);
    return described_key{key_type::rsa, std::move(w).take()};
  }
  return make_error("unsupported key algorithm (use ed25519, ECDSA or RSA)");
}

}  // namespace

std::string_view key_type_name(key_type t) {
  return k_types.at(static_cast<int>(t)).name;
}
std::string_view cert_type_name(key_type t) {
  return k_types.at(static_cast<int>(t)).cert_name;
}

std::optional<key_type> key_type_from_name(std::string_view name) {
  for (const auto& t : k_types) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

std::optional<key_type> key_type_from_cert_name(std::string_view name) {
  for (const auto& t : k_types) {
    if (t.cert_name == name) return t.type;
  }
  return std::nullopt;
}

bool is_cert_type_name(std::string_view name) {
  return name.size() > k_cert_suffix.size() &&
         name.substr(name.size() - k_cert_suffix.size()) == k_cert_suffix;
}

std::optional<key_type> key_type_from_string(std::string_view s) {
  if (s == "ed25519") return key_type::ed25519;
  if (s == "ecdsa" || s == "ecdsa-p256") return key_type::ecdsa_p256;
  if (s == "ecdsa-p384") return key_type::ecdsa_p384;
  if (s == "ecdsa-p521") return key_type::ecdsa_p521;
  if (s == "rsa") return key_type::rsa;
  return key_type_from_name(s);
}

namespace detail {

const curve_info* curve_of(key_type t) {
  for (const auto& c : k_curves) {
    if (c.type == t) return &c;
  }
  return nullptr;
}

pkey_result ed25519_from_parts(std::string_view pub, std::string_view seed) {
  if (pub.size() != 32) {
    return make_error("ed25519 public key is " + std::to_string(pub.size()) +
                      " bytes, expected 32");
  }
  if (seed.empty()) {
    EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(pub), pub.size());
    if (!k) return openssl_error("invalid ed25519 public key");
    return share_pkey(k);
  }
  if (seed.size() != 32) return make_error("ed25519 private key seed is not 32 bytes");
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), seed.size());
  if (!k) return openssl_error("invalid ed25519 private key");
  auto key = share_pkey(k);
  unsigned char derived[32];
  std::size_t len = sizeof derived;
  if (EVP_PKEY_get_raw_public_key(k, derived, &len) != 1 || len != 32 ||
      std::memcmp(derived, pub.data(), 32) != 0) {
    return make_error("ed25519 private key does not match its public key");
  }
  return key;
}

namespace {

pkey_result from_params(const char* algorithm, OSSL_PARAM_BLD* bld, bool has_private,
                        std::string_view what) {
  param_ptr params(OSSL_PARAM_BLD_to_param(bld));
  pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return openssl_error("cannot prepare " + std::string(what));
  }
  EVP_PKEY* k = nullptr;
  const int selection = has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (EVP_PKEY_fromdata(ctx.get(), &k, selection, params.get()) != 1 || !k) {
    return openssl_error("invalid " + std::string(what));
  }
  auto key = share_pkey(k);
  pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, k, nullptr));
  if (!check) return openssl_error("cannot check " + std::string(what));
  const int ok =
      has_private ? EVP_PKEY_pairwise_check(check.get()) : EVP_PKEY_public_check_quick(check.get());
  if (ok != 1) {
    return openssl_error(std::string(what) + (has_private
                                                  ? ": private and public halves do not match"
                                                  : " fails validation"));
  }
  return key;
}

}  // namespace

pkey_result ec_from_parts(const curve_info& c, std::string_view point, std::string_view priv) {
  // Only the uncompressed form is valid in SSH (RFC 5656 section 3.1).
  if (point.size() != 1 + 2 * c.field_bytes || point[0] != 0x04) {
    return make_error("ECDSA " + std::string(c.curve_id) +
                      " public point is not an uncompressed point of the curve");
  }
  if (priv.size() > c.field_bytes) {
    return make_error("ECDSA private scalar is larger than the curve");
  }
  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  bn_ptr d;
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c.group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return openssl_error("cannot build an EC key");
  }
  if (!priv.empty()) {
    d = bn_from_bytes(priv);
    if (!d || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) {
      return openssl_error("cannot build an EC private key");
    }
  }
  return from_params("EC", bld.get(), !priv.empty(), "ECDSA " + std::string(c.curve_id) + " key");
}

pkey_result rsa_from_parts(const rsa_parts& in) {
  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  bn_ptr n = bn_from_bytes(in.n), e = bn_from_bytes(in.e);
  if (!bld || !n || !e) return openssl_error("cannot build an RSA key");
  const int bits = BN_num_bits(n.get());
  if (bits < static_cast<int>(k_rsa_min_bits) || bits > static_cast<int>(k_rsa_max_bits)) {
    return make_error("RSA key of " + std::to_string(bits) +
                      " bits is refused (allowed: " + std::to_string(k_rsa_min_bits) + " to " +
                      std::to_string(k_rsa_max_bits) + ")");
  }
  // Sanity bounds OpenSSL's verify does not enforce itself: odd modulus, odd e in [3, 2^64).
  if (!BN_is_odd(n.get()) || !BN_is_odd(e.get()) || BN_num_bits(e.get()) > 64 ||
      BN_cmp(e.get(), BN_value_one()) <= 0) {
    return make_error("RSA key has an invalid modulus or public exponent");
  }
  if (OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return openssl_error("cannot build an RSA key");
  }
  const bool has_private = !in.d.empty();
  bn_ptr d, p, q, iqmp, dmp1, dmq1;
  if (has_private) {
    d = bn_from_bytes(in.d), p = bn_from_bytes(in.p), q = bn_from_bytes(in.q);
    iqmp = bn_from_bytes(in.iqmp);
    dmp1.reset(BN_new()), dmq1.reset(BN_new());
    std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> bn_ctx(BN_CTX_new(), BN_CTX_free);
    bn_ptr p1(BN_dup(p.get())), q1(BN_dup(q.get()));
    // OpenSSH files omit the CRT exponents: derive d mod (p-1) and d mod (q-1).
    if (!d || !p || !q || !iqmp || !dmp1 || !dmq1 || !bn_ctx || !p1 || !q1 || BN_is_zero(p.get()) ||
        BN_is_zero(q.get()) || BN_sub_word(p1.get(), 1) != 1 || BN_sub_word(q1.get(), 1) != 1 ||
        BN_is_zero(p1.get()) || BN_is_zero(q1.get()) ||
        BN_mod(dmp1.get(), d.get(), p1.get(), bn_ctx.get()) != 1 ||
        BN_mod(dmq1.get(), d.get(), q1.get(), bn_ctx.get()) != 1) {
      return openssl_error("invalid RSA private key factors");
    }
    if (OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp.get()) != 1) {
      return openssl_error("cannot build an RSA private key");
    }
  }
  if (!has_private) {
    // Range checks are done above; OpenSSL's public check would demand e >= 65537.
    param_ptr params(OSSL_PARAM_BLD_to_param(bld.get()));
    pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* k = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &k, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || !k) {
      return openssl_error("invalid RSA public key");
    }
    return share_pkey(k);
  }
  return from_params("RSA", bld.get(), true, "RSA key");
}

}  // namespace detail

result<public_key> public_key::read_fields(key_type t, wire_reader& r) {
  pkey_result built = make_error("unreachable");
  if (t == key_type::ed25519) {
    auto pub = r.string("ed25519 public key");
    if (!pub) return pub.err();
    built = detail::ed25519_from_parts(*pub, {});
  } else if (t == key_type::rsa) {
    auto e = r.mpint("RSA exponent e");
    if (!e) return e.err();
    auto n = r.mpint("RSA modulus n");
    if (!n) return n.err();
    detail::rsa_parts parts{};
    parts.n = *n, parts.e = *e;
    built = detail::rsa_from_parts(parts);
  } else {
    const curve_info* c = detail::curve_of(t);
    assert(c);
    auto curve = r.text("ECDSA curve name", 64);
    if (!curve) return curve.err();
    if (*curve != c->curve_id) {
      return r.fail("ECDSA curve name", "curve \"" + std::string(*curve) + "\" does not match " +
                                            std::string(key_type_name(t)));
    }
    auto point = r.string("ECDSA public point");
    if (!point) return point.err();
    built = detail::ec_from_parts(*c, *point, {});
  }
  if (!built) return built.err();
  auto desc = describe(built->get());
  if (!desc) return desc.err();
  assert(desc->type == t);
  public_key k;
  k.pkey_ = std::move(*built);
  k.type_ = t;
  k.blob_ = std::move(desc->blob);
  return k;
}

result<public_key> public_key::from_blob(std::string_view blob) {
  wire_reader r(blob, "public key");
  auto name = r.text("key type", 128);
  if (!name) return name.err();
  if (is_cert_type_name(*name)) {
    return make_error("public key: got a certificate (" + std::string(*name) +
                      ") where a plain key was expected");
  }
  auto t = key_type_from_name(*name);
  if (!t) return make_error("public key: unsupported key type \"" + std::string(*name) + "\"");
  auto k = read_fields(*t, r);
  if (!k) return k;
  if (auto end = r.expect_end("the key fields"); !end) return end.err();
  return k;
}

result<public_key> public_key::from_evp(EVP_PKEY* adopted) {
  auto holder = detail::share_pkey(adopted);
  if (!adopted) return make_error("no key given");
  auto desc = describe(adopted);
  if (!desc) return desc.err();
  // Rebuild from the blob so the object holds only the public half.
  return from_blob(desc->blob);
}

void public_key::write_fields(wire_writer& w) const {
  assert(!empty());
  wire_reader r(blob_);
  auto name = r.string("key type");
  assert(name);
  w.raw(std::string_view(blob_).substr(r.offset()));
}

std::string public_key::authorized_key(std::string_view comment) const {
  std::string line(key_type_name(type_));
  line.append(" ").append(base64_encode(blob_));
  if (!comment.empty()) line.append(" ").append(comment);
  return line;
}

std::string public_key::fingerprint() const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int len = 0;
  EVP_Digest(blob_.data(), blob_.size(), digest, &len, EVP_sha256(), nullptr);
  return "SHA256:" + base64_encode_unpadded(std::string_view(reinterpret_cast<char*>(digest), len));
}

unsigned public_key::bits() const {
  if (empty()) return 0;
  return static_cast<unsigned>(EVP_PKEY_get_bits(pkey_.get()));
}

namespace {

std::string_view trim(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

result<public_key> public_key::from_authorized_key(std::string_view line, std::string* comment) {
  line = trim(line);
  const auto sp1 = line.find_first_of(" \t");
  if (line.empty() || sp1 == std::string_view::npos) {
    return make_error("public key line: expected \"<type> <base64> [comment]\"");
  }
  const std::string_view name = line.substr(0, sp1);
  std::string_view rest = trim(line.substr(sp1));
  const auto sp2 = rest.find_first_of(" \t");
  const std::string_view b64 = rest.substr(0, sp2);
  const std::string_view tail = sp2 == std::string_view::npos ? "" : trim(rest.substr(sp2));
  if (is_cert_type_name(name)) {
    return make_error("public key line: \"" + std::string(name) +
                      "\" is a certificate, not a plain key");
  }
  if (!key_type_from_name(name)) {
    return make_error("public key line: unsupported key type \"" + std::string(name.substr(0, 64)) +
                      "\" (options before the key type are not supported here)");
  }
  auto blob = base64_decode(b64);
  if (!blob) return make_error("public key line: " + blob.message());
  auto key = from_blob(*blob);
  if (!key) return key;
  if (key_type_name(key->type()) != name) {
    return make_error("public key line: says \"" + std::string(name) + "\" but the key is " +
                      std::string(key_type_name(key->type())));
  }
  if (comment) *comment = std::string(tail);
  return key;
}

result<key_pair> key_pair::from_evp(EVP_PKEY* adopted) {
  auto holder = detail::share_pkey(adopted);
  if (!adopted) return make_error("no key given");
  // A private key has a private half we can export: probe by type.
  auto desc = describe(adopted);
  if (!desc) return desc.err();
  bool has_private = false;
  if (desc->type == key_type::ed25519) {
    std::size_t len = 0;
    has_private = EVP_PKEY_get_raw_private_key(adopted, nullptr, &len) == 1 && len == 32;
  } else {
    BIGNUM* bn = nullptr;
    const char* name =
        desc->type == key_type::rsa ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
    has_private = EVP_PKEY_get_bn_param(adopted, name, &bn) == 1;
    BN_clear_free(bn);
  }
  ERR_clear_error();
  if (!has_private) return make_error("key has no private half");
  auto pub = public_key::from_blob(desc->blob);
  if (!pub) return pub.err();
  key_pair kp;
  kp.pkey_ = std::move(holder);
  kp.pub_ = std::move(*pub);
  return kp;
}

result<key_pair> key_pair::generate(key_type t, unsigned rsa_bits) {
  EVP_PKEY* k = nullptr;
  if (t == key_type::ed25519) {
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else if (t == key_type::rsa) {
    if (rsa_bits < k_rsa_min_bits || rsa_bits > k_rsa_max_bits) {
      return make_error("RSA key size " + std::to_string(rsa_bits) + " is outside " +
                        std::to_string(k_rsa_min_bits) + ".." + std::to_string(k_rsa_max_bits));
    }
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits));
  } else {
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", detail::curve_of(t)->group);
  }
  if (!k) return detail::openssl_error("key generation failed");
  return from_evp(k);
}

}  // namespace tp::transport
