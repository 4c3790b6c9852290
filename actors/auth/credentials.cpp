#include "actors/auth/credentials.hpp"

#include <argon2.h>
#include <liboath/oath.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <qrencode.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace tp::actors::auth {

namespace {

constexpr std::uint32_t k_argon_t = 3;
constexpr std::uint32_t k_argon_m_kib = 64 * 1024;
constexpr std::uint32_t k_argon_p = 1;
constexpr std::size_t k_salt_len = 16;
constexpr std::size_t k_tag_len = 32;

// Upper bounds accepted when verifying: a stored hash with absurd costs would
// otherwise let whoever wrote it make every login allocate gigabytes.
constexpr std::uint32_t k_max_verify_m_kib = 256 * 1024;
constexpr std::uint32_t k_max_verify_t = 16;
constexpr std::uint32_t k_max_verify_p = 16;

constexpr unsigned k_totp_step = 30;
constexpr std::size_t k_totp_digits = 6;
constexpr std::size_t k_totp_window = 1;
constexpr std::size_t k_totp_secret_bytes = 20;

constexpr int k_qr_quiet = 4;  // modules of white border
constexpr int k_qr_scale = 4;  // pixels per module

// Parses "<key><decimal>" at the front of s, advancing s past it.
bool take_param(std::string_view& s, std::string_view key, std::uint32_t max, std::uint32_t& out) {
  if (s.substr(0, key.size()) != key) return false;
  s.remove_prefix(key.size());
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc{} || end == s.data() || out == 0 || out > max) return false;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return true;
}

// Only argon2id encodings with bounded costs are handed to libargon2.
bool plausible_encoding(std::string_view s) {
  constexpr std::string_view prefix = "$argon2id$v=19$";
  if (s.size() > 512 || s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  std::uint32_t m = 0, t = 0, p = 0;
  return take_param(s, "m=", k_max_verify_m_kib, m) && take_param(s, ",t=", k_max_verify_t, t) &&
         take_param(s, ",p=", k_max_verify_p, p) && !s.empty() && s.front() == '$';
}

std::string base32_encode(const unsigned char* data, std::size_t n) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  out.reserve((n * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out.push_back(alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

bool oath_ready() {
  static const bool ok = oath_init() == OATH_OK;  // thread-safe one-time init
  return ok;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (is_unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// A PNG chunk: length, type, data, CRC-32 over type and data.
void put_chunk(std::string& png, const char (&type)[5], const std::string& data) {
  put_u32(png, static_cast<std::uint32_t>(data.size()));
  const std::size_t type_at = png.size();
  png.append(type, 4);
  png += data;
  const auto* crc_from = reinterpret_cast<const Bytef*>(png.data() + type_at);
  put_u32(png, static_cast<std::uint32_t>(
                   crc32(crc32(0L, Z_NULL, 0), crc_from, static_cast<uInt>(4 + data.size()))));
}

struct qr_free {
  void operator()(QRcode* q) const { QRcode_free(q); }
};

// Renders the symbol as a 1-bit grayscale PNG (bit 0 = black, 1 = white).
tp::result<std::string> render_png(const QRcode& qr) {
  const int modules = qr.width + 2 * k_qr_quiet;
  const int px = modules * k_qr_scale;
  const std::size_t row_bytes = (static_cast<std::size_t>(px) + 7) / 8;
  std::string raw;
  raw.reserve((row_bytes + 1) * static_cast<std::size_t>(px));
  for (int y = 0; y < px; ++y) {
    raw.push_back('\0');  // filter type None
    const int my = y / k_qr_scale - k_qr_quiet;
    std::string row(row_bytes, '\xff');
    for (int x = 0; x < px; ++x) {
      const int mx = x / k_qr_scale - k_qr_quiet;
      const bool dark = my >= 0 && my < qr.width && mx >= 0 && mx < qr.width &&
                        (qr.data[my * qr.width + mx] & 1) != 0;
      if (dark) row[static_cast<std::size_t>(x / 8)] &= static_cast<char>(~(0x80 >> (x % 8)));
    }
    raw += row;
  }

  uLongf packed_len = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_len, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_len,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                Z_BEST_COMPRESSION) != Z_OK) {
    return tp::make_error("QR code: PNG compression failed");
  }
  packed.resize(packed_len);

  std::string ihdr;
  put_u32(ihdr, static_cast<std::uint32_t>(px));
  put_u32(ihdr, static_cast<std::uint32_t>(px));
  ihdr += std::string{'\x01', '\x00', '\x00', '\x00', '\x00'};  // depth 1, gray, deflate, -, -

  std::string png("\x89PNG\r\n\x1a\n", 8);
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", packed);
  put_chunk(png, "IEND", {});
  return png;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

tp::status check_password_policy(std::string_view pw) {
  if (pw.size() < k_min_password_length) {
    return tp::make_error("password is too short: use at least " +
                          std::to_string(k_min_password_length) + " characters");
  }
  if (pw.size() > k_max_password_length) {
    return tp::make_error("password is too long: use at most " +
                          std::to_string(k_max_password_length) + " characters");
  }
  return {};
}

tp::result<std::string> hash_password(std::string_view pw) {
  unsigned char salt[k_salt_len];
  if (RAND_bytes(salt, sizeof salt) != 1) {
    return tp::make_error("password hashing: the random number generator failed");
  }
  std::string encoded(
      argon2_encodedlen(k_argon_t, k_argon_m_kib, k_argon_p, k_salt_len, k_tag_len, Argon2_id),
      '\0');
  const int rc =
      argon2id_hash_encoded(k_argon_t, k_argon_m_kib, k_argon_p, pw.data(), pw.size(), salt,
                            sizeof salt, k_tag_len, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return tp::make_error(std::string("password hashing failed: ") + argon2_error_message(rc));
  }
  if (auto nul = encoded.find('\0'); nul != std::string::npos) encoded.resize(nul);
  return encoded;
}

bool verify_password(std::string_view encoded, std::string_view pw) {
  if (!plausible_encoding(encoded)) return false;
  const std::string z(encoded);  // libargon2 wants a NUL-terminated string
  return argon2id_verify(z.c_str(), pw.data(), pw.size()) == ARGON2_OK;
}

std::string new_totp_secret() {
  unsigned char bytes[k_totp_secret_bytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    std::fputs("fatal: RAND_bytes failed while making a TOTP secret\n", stderr);
    std::abort();
  }
  return base32_encode(bytes, sizeof bytes);
}

std::optional<std::int64_t> verify_totp(std::string_view base32_secret, std::string_view code,
                                        sys_time now) {
  if (code.size() != k_totp_digits ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  // Before the first full step the "previous step" of the window would be
  // negative; no real clock is there, so refuse rather than rely on wrap-around.
  if (t < static_cast<std::time_t>(k_totp_step) || base32_secret.empty() ||
      base32_secret.size() > 1024 || !oath_ready()) {
    return std::nullopt;
  }
  char* raw = nullptr;
  std::size_t raw_len = 0;
  if (oath_base32_decode(base32_secret.data(), base32_secret.size(), &raw, &raw_len) != OATH_OK) {
    return std::nullopt;
  }
  std::unique_ptr<char, decltype(&std::free)> secret(raw, &std::free);
  if (raw_len == 0) return std::nullopt;

  const std::string otp(code);
  int pos = 0;
  std::uint64_t counter = 0;
  const int rc = oath_totp_validate3(secret.get(), raw_len, t, k_totp_step, 0, k_totp_window, &pos,
                                     &counter, otp.c_str());
  if (rc < 0) return std::nullopt;
  return static_cast<std::int64_t>(counter);
}

std::string totp_uri(std::string_view user, std::string_view cluster, std::string_view secret) {
  const std::string c = percent_encode(cluster);
  return "otpauth://totp/" + c + ":" + percent_encode(user) + "?secret=" + percent_encode(secret) +
         "&issuer=" + c + "&algorithm=SHA1&digits=6&period=30";
}

tp::result<std::string> qr_png_base64(std::string_view text) {
  if (text.empty()) return tp::make_error("QR code: nothing to encode");
  if (text.find('\0') != std::string_view::npos) {
    return tp::make_error("QR code: text contains a NUL byte");
  }
  const std::string z(text);
  std::unique_ptr<QRcode, qr_free> qr(
      QRcode_encodeString(z.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (!qr) return tp::make_error("QR code: text too long to encode");
  auto png = render_png(*qr);
  if (!png) return png.err();
  return base64(*png);
}

}  // namespace tp::actors::auth
