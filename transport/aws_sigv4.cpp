#include "transport/aws_sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <ctime>
#include <map>

namespace tp::transport {
namespace {

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0xf];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const auto* r = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  assert(r != nullptr && len == 32);  // only fails when OpenSSL itself is broken
  (void)r;
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Leading and trailing spaces removed, inner runs of spaces made one.
std::string trimmed(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto part = query.substr(0, amp);
    if (!part.empty()) {
      const auto eq = part.find('=');
      params.emplace_back(std::string(part.substr(0, eq)),
                          eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(k).append("=").append(v);
  }
  return out;
}

// name -> value(s) joined with ',', in name order.
std::map<std::string, std::string> canonical_headers(const sigv4_request& r) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : r.headers) {
    auto& v = out[lower(name)];
    if (!v.empty()) v.push_back(',');
    v += trimmed(value);
  }
  return out;
}

std::string signed_headers(const std::map<std::string, std::string>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    if (!out.empty()) out.push_back(';');
    out += name;
  }
  return out;
}

std::string scope_text(std::string_view amz_datetime, const sigv4_scope& scope) {
  std::string out(amz_datetime.substr(0, 8));
  out.append("/").append(scope.region).append("/").append(scope.service).append("/aws4_request");
  return out;
}

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[20];
  const auto n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

std::string sha256_hex_of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const int ok = EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  assert(ok == 1);
  (void)ok;
  return hex(md, len);
}

std::string canonical_request(const sigv4_request& r) {
  const auto headers = canonical_headers(r);
  std::string out = r.method + "\n" + r.path + "\n" + canonical_query(r.query) + "\n";
  for (const auto& [name, value] : headers) out.append(name).append(":").append(value).append("\n");
  out.append("\n").append(signed_headers(headers)).append("\n").append(sha256_hex_of(r.payload));
  return out;
}

std::string string_to_sign(const sigv4_request& r, const sigv4_scope& scope,
                           std::string_view amz_datetime) {
  std::string out(k_algorithm);
  out.append("\n").append(amz_datetime).append("\n");
  out.append(scope_text(amz_datetime, scope)).append("\n");
  out.append(sha256_hex_of(canonical_request(r)));
  return out;
}

std::string signing_key(std::string_view secret_key, std::string_view date,
                        const sigv4_scope& scope) {
  std::string k_secret("AWS4");
  k_secret.append(secret_key);
  const auto k_date = hmac(k_secret, date);
  const auto k_region = hmac(k_date, scope.region);
  const auto k_service = hmac(k_region, scope.service);
  return hmac(k_service, "aws4_request");
}

std::string sigv4_authorization(const sigv4_request& r, const aws_credentials& creds,
                                const sigv4_scope& scope, std::string_view amz_datetime) {
  const auto key = signing_key(creds.secret_key, amz_datetime.substr(0, 8), scope);
  const auto sig = hmac(key, string_to_sign(r, scope, amz_datetime));
  std::string out(k_algorithm);
  out.append(" Credential=").append(creds.access_key).append("/");
  out.append(scope_text(amz_datetime, scope));
  out.append(", SignedHeaders=").append(signed_headers(canonical_headers(r)));
  out.append(", Signature=");
  out.append(hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size()));
  return out;
}

void sigv4_sign(sigv4_request& r, const aws_credentials& creds, const sigv4_scope& scope,
                std::chrono::system_clock::time_point now) {
  const auto when = amz_date(now);
  r.headers.emplace_back("X-Amz-Date", when);
  if (!creds.session_token.empty())
    r.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  r.headers.emplace_back("Authorization", sigv4_authorization(r, creds, scope, when));
}

}  // namespace tp::transport
