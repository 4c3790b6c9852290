// Encoding, signing and parsing of OpenSSH certificates. The layout (after the type name):
// nonce, the key's own fields, serial, type, key id, principals, validity, critical
// options, extensions, reserved, CA key, signature; the signature covers everything
// before it.
#include "transport/ssh_cert.hpp"

#include <openssl/rand.h>

#include "transport/ssh_wire.hpp"

namespace tp::transport {

namespace {

constexpr std::size_t k_nonce_size = 32;
constexpr std::size_t k_max_cert_size = 64 * 1024;
constexpr std::size_t k_max_name = 1024;        // principal, option name, key id
constexpr std::size_t k_max_value = 16 * 1024;  // option/extension value

// Options and extensions: (string name, string data) pairs in name order, data empty for
// a flag, else a string holding the value.
std::string encode_options(const cert_options& opts) {
  wire_writer w;
  for (const auto& [name, value] : opts) {  // std::map iterates in byte order, as required
    w.string(name);
    if (value.empty()) {
      w.string("");
    } else {
      wire_writer inner;
      inner.string(value);
      w.string(inner.data());
    }
  }
  return std::move(w).take();
}

status check_text(std::string_view what, std::string_view s, std::size_t max) {
  if (s.find('\0') != std::string_view::npos) {
    return make_error("certificate template: " + std::string(what) + " contains a NUL byte");
  }
  if (s.size() > max) {
    return make_error("certificate template: " + std::string(what) + " is longer than " +
                      std::to_string(max) + " bytes");
  }
  return {};
}

status check_options(std::string_view what, const cert_options& opts) {
  for (const auto& [name, value] : opts) {
    if (name.empty())
      return make_error("certificate template: empty " + std::string(what) + " name");
    if (auto s = check_text(std::string(what) + " name", name, k_max_name); !s) return s;
    if (value.size() > k_max_value) {
      return make_error("certificate template: " + std::string(what) + " \"" + name +
                        "\" value is too long");
    }
  }
  return {};
}

status check_template(const cert_template& t) {
  if (t.key.empty()) return make_error("certificate template: no key to certify");
  if (t.kind != cert_type::user && t.kind != cert_type::host) {
    return make_error("certificate template: certificate type must be user or host");
  }
  if (t.principals.empty()) {
    return make_error(
        "certificate template: at least one principal is required (a "
        "certificate without principals would be valid for anyone)");
  }
  for (const auto& p : t.principals) {
    if (p.empty()) return make_error("certificate template: empty principal");
    if (auto s = check_text("principal \"" + p.substr(0, 64) + "\"", p, k_max_name); !s) return s;
  }
  if (auto s = check_text("key id", t.key_id, k_max_name); !s) return s;
  if (t.valid_after >= t.valid_before) {
    return make_error("certificate template: valid_after (" + format_cert_time(t.valid_after) +
                      ") must be before valid_before (" + format_cert_time(t.valid_before) + ")");
  }
  if (t.kind == cert_type::host && !t.critical_options.empty()) {
    return make_error("certificate template: host certificates carry no critical options");
  }
  if (auto s = check_options("critical option", t.critical_options); !s) return s;
  if (t.extensions) {
    if (auto s = check_options("extension", *t.extensions); !s) return s;
  }
  if (auto it = t.critical_options.find("source-address"); it != t.critical_options.end()) {
    auto m = source_address_matches(it->second, "127.0.0.1");
    if (!m) return make_error("certificate template: source-address: " + m.message());
  }
  return {};
}

result<cert_options> parse_options(std::string_view section, std::string_view what) {
  wire_reader r(section, "certificate " + std::string(what) + "s");
  cert_options out;
  std::string previous;
  while (!r.empty()) {
    auto name = r.text(std::string(what) + " name", k_max_name);
    if (!name) return name.err();
    auto data = r.string(std::string(what) + " \"" + std::string(*name) + "\" data");
    if (!data) return data.err();
    if (!out.empty() && std::string_view(previous) >= *name) {
      return make_error("certificate: " + std::string(what) + " \"" + std::string(*name) +
                        "\" is out of order or repeated (names must be sorted and unique)");
    }
    std::string value;
    if (!data->empty()) {
      wire_reader inner(*data,
                        "certificate " + std::string(what) + " \"" + std::string(*name) + "\"");
      auto v = inner.string("value");
      if (!v) return v.err();
      if (auto e = inner.expect_end("the value"); !e) return e.err();
      value = std::string(*v);
    }
    previous = std::string(*name);
    out.emplace(previous, std::move(value));
  }
  return out;
}

}  // namespace

std::string_view cert_type_label(cert_type t) {
  switch (t) {
    case cert_type::user:
      return "user";
    case cert_type::host:
      return "host";
  }
  return "unknown";
}

cert_options default_user_extensions() {
  return {{"permit-X11-forwarding", ""},
          {"permit-agent-forwarding", ""},
          {"permit-port-forwarding", ""},
          {"permit-pty", ""},
          {"permit-user-rc", ""}};
}

std::string ssh_certificate::authorized_key(std::string_view comment) const {
  std::string line(cert_type_name(type));
  line.append(" ").append(base64_encode(blob));
  if (!comment.empty()) line.append(" ").append(comment);
  return line;
}

result<std::string> sign_certificate(const cert_template& t, const key_pair& ca) {
  if (auto s = check_template(t); !s) return s.err();
  std::string nonce(k_nonce_size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), k_nonce_size) != 1) {
    return make_error("cannot get random bytes for the certificate nonce");
  }
  wire_writer principals;
  for (const auto& p : t.principals) principals.string(p);
  const cert_options& extensions =
      t.extensions ? *t.extensions
                   : (t.kind == cert_type::user ? default_user_extensions() : cert_options{});

  wire_writer w;
  w.string(cert_type_name(t.key.type()));
  w.string(nonce);
  t.key.write_fields(w);
  w.u64(t.serial);
  w.u32(static_cast<std::uint32_t>(t.kind));
  w.string(t.key_id);
  w.string(principals.data());
  w.u64(t.valid_after);
  w.u64(t.valid_before);
  w.string(encode_options(t.critical_options));
  w.string(encode_options(extensions));
  w.string("");  // reserved
  w.string(ca.pub().blob());
  auto sig = ca.sign(w.data());
  if (!sig) return make_error("signing the certificate failed: " + sig.message());
  w.string(*sig);
  return std::move(w).take();
}

result<std::string> certificate_line(std::string_view blob, std::string_view comment) {
  wire_reader r(blob, "certificate");
  auto name = r.text("type name", 128);
  if (!name) return name.err();
  if (!key_type_from_cert_name(*name)) {
    return make_error("certificate: \"" + std::string(name->substr(0, 64)) +
                      "\" is not a supported certificate type");
  }
  std::string line(*name);
  line.append(" ").append(base64_encode(blob));
  if (!comment.empty()) line.append(" ").append(comment);
  return line;
}

result<ssh_certificate> parse_certificate(std::string_view blob) {
  if (blob.size() > k_max_cert_size) {
    return make_error("certificate: " + std::to_string(blob.size()) + " bytes is larger than the " +
                      std::to_string(k_max_cert_size) + " accepted");
  }
  wire_reader r(blob, "certificate");
  ssh_certificate c;
  auto name = r.text("type name", 128);
  if (!name) return name.err();
  auto t = key_type_from_cert_name(*name);
  if (!t) {
    if (is_cert_type_name(*name)) {
      return make_error("certificate: unsupported certificate type \"" + std::string(*name) + "\"");
    }
    return make_error("certificate: \"" + std::string(name->substr(0, 64)) +
                      "\" is not a certificate type");
  }
  c.type = *t;
  auto nonce = r.string("nonce");
  if (!nonce) return nonce.err();
  c.nonce = std::string(*nonce);
  auto key = public_key::read_fields(*t, r);
  if (!key) return make_error("certificate: certified key: " + key.message());
  c.key = std::move(*key);
  auto serial = r.u64("serial");
  if (!serial) return serial.err();
  c.serial = *serial;
  auto kind = r.u32("certificate type");
  if (!kind) return kind.err();
  if (*kind != 1 && *kind != 2) {
    return make_error("certificate: unknown certificate type " + std::to_string(*kind) +
                      " (1 = user, 2 = host)");
  }
  c.kind = static_cast<cert_type>(*kind);
  auto key_id = r.text("key id", k_max_name);
  if (!key_id) return key_id.err();
  c.key_id = std::string(*key_id);
  auto principals = r.string("valid principals");
  if (!principals) return principals.err();
  for (wire_reader pr(*principals, "certificate principals"); !pr.empty();) {
    auto p = pr.text("principal", k_max_name);
    if (!p) return p.err();
    c.principals.emplace_back(*p);
  }
  auto after = r.u64("valid after");
  if (!after) return after.err();
  auto before = r.u64("valid before");
  if (!before) return before.err();
  c.valid_after = *after, c.valid_before = *before;
  auto critical = r.string("critical options");
  if (!critical) return critical.err();
  auto crit = parse_options(*critical, "critical option");
  if (!crit) return crit.err();
  c.critical_options = std::move(*crit);
  auto extensions = r.string("extensions");
  if (!extensions) return extensions.err();
  auto ext = parse_options(*extensions, "extension");
  if (!ext) return ext.err();
  c.extensions = std::move(*ext);
  auto reserved = r.string("reserved");  // ignored, as the format says
  if (!reserved) return reserved.err();
  auto ca = r.string("signature key");
  if (!ca) return ca.err();
  {
    wire_reader cr(*ca, "certificate signature key");
    auto ca_name = cr.text("type name", 128);
    if (!ca_name) return ca_name.err();
    if (is_cert_type_name(*ca_name)) {
      return make_error("certificate: the signing key is itself a certificate (" +
                        std::string(*ca_name) + "); only plain CA keys may sign");
    }
  }
  auto ca_key = public_key::from_blob(*ca);
  if (!ca_key) return make_error("certificate: signature key: " + ca_key.message());
  c.signature_key = std::move(*ca_key);
  c.signed_size = r.offset();
  auto sig = r.string("signature");
  if (!sig) return sig.err();
  c.signature = std::string(*sig);
  if (auto e = r.expect_end("the signature"); !e) return e.err();
  c.blob = std::string(blob);
  return c;
}

result<ssh_certificate> parse_certificate_line(std::string_view line) {
  constexpr std::string_view ws = " \t\r\n";
  const auto b = line.find_first_not_of(ws);
  if (b == std::string_view::npos) return make_error("certificate line: empty");
  line.remove_prefix(b);
  const auto sp1 = line.find_first_of(ws);
  if (sp1 == std::string_view::npos) {
    return make_error("certificate line: expected \"<type> <base64> [comment]\"");
  }
  const std::string_view name = line.substr(0, sp1);
  std::string_view rest = line.substr(sp1);
  rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(ws)));
  const std::string_view b64 = rest.substr(0, rest.find_first_of(ws));
  auto bin = base64_decode(b64);
  if (!bin) return make_error("certificate line: " + bin.message());
  auto cert = parse_certificate(*bin);
  if (!cert) return cert;
  if (cert_type_name(cert->type) != name) {
    return make_error("certificate line: says \"" + std::string(name.substr(0, 64)) +
                      "\" but the certificate is " + std::string(cert_type_name(cert->type)));
  }
  return cert;
}

}  // namespace tp::transport
