// Acceptance checks for OpenSSH certificates (what sshd does with TrustedUserCAKeys, and
// ssh with @cert-authority), with reasons a user can act on.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <ctime>

#include "transport/ssh_cert.hpp"

namespace tp::transport {

namespace {

// Certificate fields are attacker-controlled: keep control bytes out of messages/logs.
std::string printable(std::string_view s, std::size_t max = 64) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      constexpr char hex[] = "0123456789abcdef";
      out.append("\\x").push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  if (s.size() > max) out.append("...");
  return out;
}

struct ip_address {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};
  unsigned bits() const { return family == AF_INET ? 32 : 128; }
};

bool parse_ip(std::string_view text, ip_address& out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET, buf, out.bytes.data()) == 1) {
    out.family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.bytes.data()) == 1) {
    out.family = AF_INET6;
    // An IPv4 client seen through a dual-stack socket (::ffff:a.b.c.d) is an IPv4 client.
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(out.bytes.data(), mapped, 12) == 0) {
      std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
      out.family = AF_INET;
    }
    return true;
  }
  return false;
}

bool prefix_equal(const ip_address& a, const ip_address& b, unsigned len) {
  const unsigned full = len / 8, rest = len % 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

}  // namespace

result<bool> source_address_matches(std::string_view list, std::string_view address) {
  ip_address client;
  if (!parse_ip(address, client)) {
    return make_error("\"" + printable(address) + "\" is not an IP address");
  }
  if (list.empty()) return make_error("empty address list");
  bool matched = false;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    const std::string_view entry = list.substr(pos, comma - pos);
    pos = comma + 1;
    const std::size_t slash = entry.find('/');
    ip_address net;
    if (!parse_ip(entry.substr(0, slash), net)) {
      return make_error("\"" + printable(entry) + "\" is not an address or CIDR block");
    }
    unsigned len = net.bits();
    if (slash != std::string_view::npos) {
      const std::string_view digits = entry.substr(slash + 1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
          len > net.bits()) {
        return make_error("\"" + printable(entry) + "\" has an invalid prefix length");
      }
    }
    if (net.family == client.family && prefix_equal(net, client, len)) matched = true;
  }
  return matched;
}

std::string format_cert_time(std::uint64_t t) {
  if (t == k_cert_forever) return "forever";
  constexpr std::uint64_t k_year_9999_end = 253402300799ULL;
  if (t > k_year_9999_end) return "second " + std::to_string(t) + " of the epoch";
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

status verify_certificate(const ssh_certificate& c, const verify_options& o) {
  // 1. Who signed it. Exact blob comparison: no key-equivalence games.
  if (o.trusted_ca_blobs.empty()) {
    return make_error("no trusted certificate authorities are configured");
  }
  const std::string& ca = c.signature_key.blob();
  if (std::find(o.trusted_ca_blobs.begin(), o.trusted_ca_blobs.end(), ca) ==
      o.trusted_ca_blobs.end()) {
    return make_error("certificate signed by an untrusted CA (CA key " +
                      c.signature_key.fingerprint() + ")");
  }
  if (c.blob.empty() || c.signed_size == 0 || c.signed_size > c.blob.size()) {
    return make_error("certificate has no encoded form to check (use parse_certificate)");
  }
  if (auto s =
          c.signature_key.verify(std::string_view(c.blob).substr(0, c.signed_size), c.signature);
      !s) {
    return make_error("certificate signature is invalid (" + s.message() + ")");
  }

  // 2. What it is for.
  if (c.kind != o.expected_kind) {
    return make_error("certificate is a " + std::string(cert_type_label(c.kind)) +
                      " certificate, but a " + std::string(cert_type_label(o.expected_kind)) +
                      " certificate is required");
  }

  // 3. When.
  const std::uint64_t now =
      o.now ? *o.now : static_cast<std::uint64_t>(std::max<std::time_t>(0, std::time(nullptr)));
  const auto skew = static_cast<std::uint64_t>(std::max<std::int64_t>(0, o.clock_skew.count()));
  const std::uint64_t now_ahead = now > k_cert_forever - skew ? k_cert_forever : now + skew;
  if (now_ahead < c.valid_after) {
    return make_error("certificate is not valid until " + format_cert_time(c.valid_after) +
                      " (now " + format_cert_time(now) + "; check the clocks)");
  }
  if (now >= c.valid_before) {
    return make_error("certificate expired at " + format_cert_time(c.valid_before) + " (now " +
                      format_cert_time(now) + "); get a new one");
  }

  // 4. Who may use it.
  if (c.principals.empty()) {
    return make_error(
        "certificate lists no principals; refused, as it would be valid for "
        "every " +
        std::string(c.kind == cert_type::user ? "login" : "host"));
  }
  if (o.principal &&
      std::find(c.principals.begin(), c.principals.end(), *o.principal) == c.principals.end()) {
    std::string listed;
    for (std::size_t i = 0; i < c.principals.size() && i < 8; ++i) {
      listed.append(i ? ", " : "").append(printable(c.principals[i]));
    }
    if (c.principals.size() > 8) listed.append(", ...");
    return make_error("principal \"" + printable(*o.principal) +
                      "\" not in certificate (it lists: " + listed + ")");
  }

  // 5. Restrictions we must understand to honour.
  for (const auto& [name, value] : c.critical_options) {
    const bool known =
        c.kind == cert_type::user && (name == "force-command" || name == "source-address");
    if (!known) {
      return make_error("certificate has unknown critical option \"" + printable(name) +
                        "\"; refused, as OpenSSH would");
    }
  }
  if (auto it = c.critical_options.find("source-address"); it != c.critical_options.end()) {
    if (!o.client_address) {
      return make_error("certificate is restricted to source addresses \"" + printable(it->second) +
                        "\" but the client address is unknown");
    }
    auto m = source_address_matches(it->second, *o.client_address);
    if (!m) return make_error("certificate source-address is unusable: " + m.message());
    if (!*m) {
      return make_error("client address " + printable(*o.client_address) +
                        " is not allowed by the certificate's source-address \"" +
                        printable(it->second) + "\"");
    }
  }
  return {};
}

}  // namespace tp::transport
