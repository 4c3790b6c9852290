#include "transport/x509_identity.hpp"

#include <openssl/x509.h>

#include <algorithm>

namespace tp::transport {
namespace {

constexpr std::size_t max_name_bytes = 255;

// Minimal UTF-8 well-formedness check (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8_without_controls(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    if (cp >= 0x80 && cp < 0xa0) return false;  // C1 controls
    i += len;
  }
  return true;
}

result<std::vector<std::string>> subject_values(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int idx = X509_NAME_get_index_by_NID(name, nid, -1); idx >= 0;
       idx = X509_NAME_get_index_by_NID(name, nid, idx)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) return make_error("a certificate subject value is not valid text");
    out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

}  // namespace

bool is_known_role(std::string_view role) {
  return std::find(known_roles.begin(), known_roles.end(), role) != known_roles.end();
}

status validate_identity_name(std::string_view name, std::string_view what) {
  if (name.empty()) return make_error(std::string(what) + " is empty");
  if (name.size() > max_name_bytes)
    return make_error(std::string(what) + " is longer than " + std::to_string(max_name_bytes) +
                      " bytes");
  if (!valid_utf8_without_controls(name))
    return make_error(std::string(what) + " is not UTF-8 text without control characters");
  return {};
}

bool peer_identity::has_role(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

result<peer_identity> identity_from_certificate(const x509_certificate& verified) {
  if (verified.empty()) return make_error("no certificate");
  const X509_NAME* subject = X509_get_subject_name(verified.native());
  auto names = subject_values(subject, NID_commonName);
  if (!names) return names.err();
  if (names->size() != 1)
    return make_error("the certificate subject must carry exactly one common name, found " +
                      std::to_string(names->size()));
  auto roles = subject_values(subject, NID_organizationName);
  if (!roles) return roles.err();
  if (roles->empty()) return make_error("the certificate subject carries no role (O=)");
  for (std::size_t i = 0; i < roles->size(); ++i) {
    const auto& r = (*roles)[i];
    if (!is_known_role(r))
      return make_error("the certificate carries the unknown role \"" + r.substr(0, 64) + "\"");
    if (std::find(roles->begin(), roles->begin() + static_cast<long>(i), r) !=
        roles->begin() + static_cast<long>(i))
      return make_error("the certificate carries the role \"" + r + "\" twice");
  }
  peer_identity id;
  id.name = std::move(names->front());
  if (auto st = validate_identity_name(id.name, "the certificate's name"); !st) return st.err();
  id.roles = std::move(roles).value();
  id.cluster = verified.issuer_common_name();
  if (auto st = validate_identity_name(id.cluster, "the certificate issuer's cluster name"); !st)
    return st.err();
  id.not_after = verified.not_after();
  return id;
}

}  // namespace tp::transport
