#include "transport/ssh_private_key.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cassert>
#include <cstring>

#include "transport/key_files.hpp"
#include "transport/ssh_key_internal.hpp"

namespace tp::transport {

using namespace detail;

namespace {

constexpr std::string_view k_magic{"openssh-key-v1\0", 15};
constexpr std::string_view k_begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view k_end = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::size_t k_block = 8;  // cipher block size of "none"
constexpr std::size_t k_max_file = 64 * 1024;

// Wipes a buffer that held private key material when it goes out of scope.
struct wipe_on_exit {
  std::string& s;
  ~wipe_on_exit() { OPENSSL_cleanse(s.data(), s.size()); }
};

result<std::string> private_fields(const key_pair& key) {
  EVP_PKEY* k = key.native();
  wire_writer w;
  w.string(key_type_name(key.type()));
  if (key.type() == key_type::ed25519) {
    std::string seed(32, '\0');
    std::size_t len = seed.size();
    if (EVP_PKEY_get_raw_private_key(k, reinterpret_cast<unsigned char*>(seed.data()), &len) != 1 ||
        len != 32) {
      return openssl_error("cannot export the ed25519 private key");
    }
    wire_reader r(key.pub().blob());
    (void)r.string("type");
    auto pub = r.string("pub");
    assert(pub && pub->size() == 32);
    w.string(*pub);
    w.string(seed + std::string(*pub));  // OpenSSH keeps seed || public key
    OPENSSL_cleanse(seed.data(), seed.size());
  } else if (key.type() == key_type::rsa) {
    const char* names[] = {OSSL_PKEY_PARAM_RSA_N,       OSSL_PKEY_PARAM_RSA_E,
                           OSSL_PKEY_PARAM_RSA_D,       OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
                           OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2};
    for (const char* name : names) {
      auto v = pkey_bn_param(k, name);
      if (!v) return v.err();
      w.mpint(*v);
      OPENSSL_cleanse(v->data(), v->size());
    }
  } else {
    key.pub().write_fields(w);  // curve id, point
    auto d = pkey_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY);
    if (!d) return d.err();
    w.mpint(*d);
    OPENSSL_cleanse(d->data(), d->size());
  }
  return std::move(w).take();
}

result<std::shared_ptr<EVP_PKEY>> read_private_fields(key_type t, wire_reader& r) {
  if (t == key_type::ed25519) {
    auto pub = r.string("ed25519 public key");
    if (!pub) return pub.err();
    auto sk = r.string("ed25519 private key");
    if (!sk) return sk.err();
    if (sk->size() != 64 || pub->size() != 32 || sk->substr(32) != *pub) {
      return make_error("private key file: malformed ed25519 private key");
    }
    return ed25519_from_parts(*pub, sk->substr(0, 32));
  }
  if (t == key_type::rsa) {
    rsa_parts parts{};
    std::string_view* fields[] = {&parts.n, &parts.e, &parts.d, &parts.iqmp, &parts.p, &parts.q};
    const char* names[] = {"RSA n", "RSA e", "RSA d", "RSA iqmp", "RSA p", "RSA q"};
    for (int i = 0; i < 6; ++i) {
      auto v = r.mpint(names[i]);
      if (!v) return v.err();
      *fields[i] = *v;
    }
    if (parts.d.empty() || parts.p.empty() || parts.q.empty() || parts.iqmp.empty()) {
      return make_error("private key file: RSA private key has an empty component");
    }
    return rsa_from_parts(parts);
  }
  const curve_info* c = curve_of(t);
  assert(c);
  auto curve = r.text("ECDSA curve name", 64);
  if (!curve) return curve.err();
  if (*curve != c->curve_id) return r.fail("ECDSA curve name", "does not match the key type");
  auto point = r.string("ECDSA public point");
  if (!point) return point.err();
  auto d = r.mpint("ECDSA private scalar", c->field_bytes);
  if (!d) return d.err();
  if (d->empty()) return make_error("private key file: ECDSA private scalar is zero");
  return ec_from_parts(*c, *point, *d);
}

}  // namespace

std::string encode_openssh_private_key(const key_pair& key, std::string_view comment) {
  auto fields = private_fields(key);
  // Exporting from a key we hold cannot fail unless OpenSSL is out of memory.
  assert(fields);
  if (!fields) return {};
  wipe_on_exit wipe_fields{*fields};

  std::uint32_t check = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check);
  wire_writer priv;
  priv.u32(check);
  priv.u32(check);
  priv.raw(*fields);
  priv.string(comment);
  for (std::uint8_t pad = 1; priv.size() % k_block != 0; ++pad) priv.u8(pad);
  std::string priv_bytes = std::move(priv).take();
  wipe_on_exit wipe_priv{priv_bytes};

  wire_writer w;
  w.raw(k_magic);
  w.string("none");  // cipher
  w.string("none");  // kdf
  w.string("");      // kdf options
  w.u32(1);          // number of keys
  w.string(key.pub().blob());
  w.string(priv_bytes);
  std::string bin = std::move(w).take();
  wipe_on_exit wipe_bin{bin};

  std::string b64 = base64_encode(bin);
  wipe_on_exit wipe_b64{b64};
  std::string out;
  out.reserve(b64.size() + b64.size() / 70 + 80);
  out.append(k_begin).append("\n");
  for (std::size_t i = 0; i < b64.size(); i += 70) out.append(b64.substr(i, 70)).append("\n");
  out.append(k_end).append("\n");
  return out;
}

result<key_pair> parse_openssh_private_key(std::string_view text, std::string* comment) {
  const auto begin = text.find(k_begin);
  if (begin == std::string_view::npos) {
    if (text.find("-----BEGIN ") != std::string_view::npos) {
      return make_error(
          "private key file: not in OpenSSH format (PEM/PKCS#8 keys are not "
          "read here); convert it with `ssh-keygen -p -f <file>`");
    }
    return make_error("private key file: no \"" + std::string(k_begin) + "\" line");
  }
  const auto end = text.find(k_end, begin);
  if (end == std::string_view::npos) {
    return make_error("private key file: no \"" + std::string(k_end) + "\" line (truncated?)");
  }
  std::string b64;
  for (char ch : text.substr(begin + k_begin.size(), end - begin - k_begin.size())) {
    if (ch != '\n' && ch != '\r' && ch != ' ' && ch != '\t') b64.push_back(ch);
  }
  wipe_on_exit wipe_b64{b64};
  auto bin = base64_decode(b64);
  if (!bin) return make_error("private key file: " + bin.message());
  wipe_on_exit wipe_bin{*bin};

  wire_reader r(*bin, "private key file");
  auto magic = r.raw(k_magic.size(), "magic");
  if (!magic || *magic != k_magic) return make_error("private key file: not an openssh-key-v1 key");
  auto cipher = r.text("cipher name", 64);
  if (!cipher) return cipher.err();
  auto kdf = r.text("kdf name", 64);
  if (!kdf) return kdf.err();
  auto kdf_options = r.string("kdf options");
  if (!kdf_options) return kdf_options.err();
  if (*cipher != "none" || *kdf != "none") {
    return make_error("private key file: the key is encrypted (cipher " + std::string(*cipher) +
                      "); remove the passphrase with `ssh-keygen -p -N '' -f <file>`");
  }
  auto count = r.u32("number of keys");
  if (!count) return count.err();
  if (*count != 1) {
    return make_error("private key file: holds " + std::to_string(*count) +
                      " keys, exactly one is supported");
  }
  auto pub_blob = r.string("public key");
  if (!pub_blob) return pub_blob.err();
  auto priv = r.string("private section");
  if (!priv) return priv.err();
  if (auto e = r.expect_end("the private section"); !e) return e.err();
  if (priv->size() % k_block != 0) {
    return make_error("private key file: private section is not a whole number of blocks");
  }

  wire_reader p(*priv, "private key file (private section)");
  auto check1 = p.u32("check value");
  if (!check1) return check1.err();
  auto check2 = p.u32("check value");
  if (!check2) return check2.err();
  if (*check1 != *check2) return make_error("private key file: check values differ (corrupt)");
  auto name = p.text("key type", 128);
  if (!name) return name.err();
  auto t = key_type_from_name(*name);
  if (!t) {
    return make_error("private key file: unsupported key type \"" + std::string(*name) + "\"");
  }
  auto pkey = read_private_fields(*t, p);
  if (!pkey) return pkey.err();
  auto key_comment = p.string("comment");
  if (!key_comment) return key_comment.err();
  for (std::uint8_t expect = 1; !p.empty(); ++expect) {
    auto pad = p.u8("padding");
    if (!pad || *pad != expect) return make_error("private key file: bad padding (corrupt)");
  }

  EVP_PKEY_up_ref(pkey->get());
  auto key = key_pair::from_evp(pkey->get());
  if (!key) return key;
  if (key->pub().blob() != *pub_blob) {
    return make_error("private key file: the public key does not match the private key");
  }
  if (comment) *comment = std::string(*key_comment);
  return key;
}

status write_openssh_private_key_file(const std::filesystem::path& path, const key_pair& key,
                                      std::string_view comment) {
  std::string text = encode_openssh_private_key(key, comment);
  wipe_on_exit wipe{text};
  if (text.empty()) return make_error("cannot export the private key");
  return write_file_atomically(path, text, 0600);
}

result<key_pair> read_openssh_private_key_file(const std::filesystem::path& path,
                                               std::string* comment) {
  auto text = read_small_file(path, k_max_file);
  if (!text) return text.err();
  wipe_on_exit wipe{*text};
  auto key = parse_openssh_private_key(*text, comment);
  if (!key) return make_error(path.string() + ": " + key.message());
  return key;
}

}  // namespace tp::transport
