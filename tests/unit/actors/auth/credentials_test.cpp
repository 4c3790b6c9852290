#include "actors/auth/credentials.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <set>

using namespace tp::actors::auth;
using namespace std::chrono_literals;

namespace {

sys_time at(std::int64_t unix_seconds) {
  return sys_time{std::chrono::seconds{unix_seconds}};
}

// Runs a command and returns its stdout without the trailing newline.
std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) out += buf.data();
  REQUIRE(pclose(p) == 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string base64_decode(const std::string& b64) {
  std::string out(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  REQUIRE(n >= 0);
  std::size_t pad = 0;
  if (!b64.empty() && b64.back() == '=') ++pad;
  if (b64.size() > 1 && b64[b64.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t{static_cast<unsigned char>(s[at])} << 24) |
         (std::uint32_t{static_cast<unsigned char>(s[at + 1])} << 16) |
         (std::uint32_t{static_cast<unsigned char>(s[at + 2])} << 8) |
         std::uint32_t{static_cast<unsigned char>(s[at + 3])};
}

struct chunk {
  std::string type;
  std::string data;
};

// Splits a PNG into chunks, checking each CRC against zlib's crc32.
std::vector<chunk> parse_png(const std::string& png) {
  REQUIRE(png.size() >= 8);
  REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  std::vector<chunk> chunks;
  std::size_t pos = 8;
  while (pos < png.size()) {
    REQUIRE(pos + 12 <= png.size());
    const std::uint32_t len = be32(png, pos);
    REQUIRE(pos + 12 + len <= png.size());
    const auto* typed = reinterpret_cast<const Bytef*>(png.data() + pos + 4);
    const auto crc = static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0), typed, 4 + len));
    CHECK(crc == be32(png, pos + 8 + len));
    chunks.push_back({png.substr(pos + 4, 4), png.substr(pos + 8, len)});
    pos += 12 + len;
  }
  return chunks;
}

}  // namespace

TEST_CASE("password policy enforces 6..128 bytes", "[credentials]") {
  CHECK_FALSE(check_password_policy(""));
  CHECK_FALSE(check_password_policy("12345"));
  CHECK(check_password_policy("123456"));
  CHECK(check_password_policy(std::string(128, 'x')));
  auto too_long = check_password_policy(std::string(129, 'x'));
  REQUIRE_FALSE(too_long);
  CHECK_THAT(too_long.message(), Catch::Contains("at most 128"));
  CHECK_THAT(check_password_policy("abc").message(), Catch::Contains("at least 6"));
}

TEST_CASE("argon2id hash verifies the right password only", "[credentials]") {
  auto h = hash_password("correct horse");
  REQUIRE(h);
  CHECK_THAT(*h, Catch::StartsWith("$argon2id$v=19$m=65536,t=3,p=1$"));
  CHECK(h->find('\0') == std::string::npos);
  CHECK(verify_password(*h, "correct horse"));
  CHECK_FALSE(verify_password(*h, "correct horsE"));
  CHECK_FALSE(verify_password(*h, ""));
  CHECK_FALSE(verify_password(*h, std::string("correct horse\0", 14)));

  // Random salt: the same password hashes differently, both verify.
  auto h2 = hash_password("correct horse");
  REQUIRE(h2);
  CHECK(*h != *h2);
  CHECK(verify_password(*h2, "correct horse"));

  // Embedded NUL bytes are part of the password, not a terminator.
  auto hn = hash_password(std::string("ab\0cdef", 7));
  REQUIRE(hn);
  CHECK(verify_password(*hn, std::string("ab\0cdef", 7)));
  CHECK_FALSE(verify_password(*hn, "ab"));
}

TEST_CASE("malformed or hostile hashes never verify", "[credentials]") {
  auto h = hash_password("secret1");
  REQUIRE(h);
  std::string tampered = *h;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify_password(tampered, "secret1"));
  CHECK_FALSE(verify_password(h->substr(0, h->size() - 5), "secret1"));
  CHECK_FALSE(verify_password("", "secret1"));
  CHECK_FALSE(verify_password("$argon2id$", "secret1"));
  CHECK_FALSE(verify_password("not a hash", "secret1"));
  CHECK_FALSE(verify_password(std::string("$argon2id$\0v=19", 15), "secret1"));
  // Other argon2 variants are refused even if otherwise well formed.
  std::string as_i = *h;
  as_i.replace(0, 9, "$argon2i");
  CHECK_FALSE(verify_password(as_i, "secret1"));
  // Cost parameters beyond the bounds are refused before any work is done.
  std::string greedy = *h;
  greedy.replace(greedy.find("m=65536"), 7, "m=4194304");
  CHECK_FALSE(verify_password(greedy, "secret1"));
  std::string zero_t = *h;
  zero_t.replace(zero_t.find("t=3"), 3, "t=0");
  CHECK_FALSE(verify_password(zero_t, "secret1"));
  CHECK_FALSE(verify_password(std::string(10000, '$'), "secret1"));
}

TEST_CASE("TOTP secrets are 160-bit unpadded base32", "[credentials]") {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const std::string s = new_totp_secret();
    CHECK(s.size() == 32);
    CHECK(s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == std::string::npos);
    seen.insert(s);
  }
  CHECK(seen.size() == 20);
}

TEST_CASE("TOTP matches RFC 6238 SHA1 vectors (6-digit truncation)", "[credentials]") {
  // Base32 of the RFC's ASCII key "12345678901234567890".
  const std::string key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
  CHECK(verify_totp(key, "287082", at(59)) == std::optional<std::int64_t>{1});
  CHECK(verify_totp(key, "081804", at(1111111109)) == std::optional<std::int64_t>{37037036});
  CHECK(verify_totp(key, "005924", at(1234567890)) == std::optional<std::int64_t>{41152263});
  CHECK(verify_totp(key, "279037", at(2000000000)) == std::optional<std::int64_t>{66666666});
  // (The RFC's year-2603 vector is skipped: system_clock counts nanoseconds in an int64.)

  // One step either side is accepted (clock skew), two steps are not.
  CHECK(verify_totp(key, "287082", at(59 + 30)) == std::optional<std::int64_t>{1});
  CHECK(verify_totp(key, "081804", at(1111111109 - 30)) == std::optional<std::int64_t>{37037036});
  CHECK_FALSE(verify_totp(key, "287082", at(59 + 90)));
  CHECK_FALSE(verify_totp(key, "081804", at(1111111109 - 60)));

  // Vector made with: oathtool --totp -b --now "2026-01-01 00:00:00 UTC" JBSW...
  CHECK(verify_totp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "452777", at(1767225600)) ==
        std::optional<std::int64_t>{1767225600 / 30});
}

TEST_CASE("TOTP agrees with oathtool for a fresh secret", "[credentials]") {
  const std::string secret = new_totp_secret();

  const std::string fixed = run("oathtool --totp -b --now '2026-01-01 00:00:00 UTC' " + secret);
  REQUIRE(fixed.size() == 6);
  CHECK(verify_totp(secret, fixed, at(1767225600)) == std::optional<std::int64_t>{1767225600 / 30});

  const std::string code = run("oathtool --totp -b " + secret);
  const auto now = std::chrono::system_clock::now();
  const auto step =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() / 30;
  auto counter = verify_totp(secret, code, now);
  REQUIRE(counter);
  CHECK(*counter >= step - 1);
  CHECK(*counter <= step);

  // A different secret does not accept the same code (collision odds ~3e-6).
  CHECK_FALSE(verify_totp(new_totp_secret(), code, now));
}

TEST_CASE("TOTP refuses malformed codes and secrets", "[credentials]") {
  const std::string key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
  CHECK_FALSE(verify_totp(key, "287083", at(59)));    // wrong
  CHECK_FALSE(verify_totp(key, "28708", at(59)));     // short
  CHECK_FALSE(verify_totp(key, "2870820", at(59)));   // long
  CHECK_FALSE(verify_totp(key, "94287082", at(59)));  // the 8-digit form
  CHECK_FALSE(verify_totp(key, "28708a", at(59)));    // non-digit
  CHECK_FALSE(verify_totp(key, " 287082", at(59)));
  CHECK_FALSE(verify_totp(key, "287082 ", at(59)));
  CHECK_FALSE(verify_totp(key, std::string("28708\0", 6), at(59)));
  CHECK_FALSE(verify_totp(key, "", at(59)));
  CHECK_FALSE(verify_totp("", "287082", at(59)));
  CHECK_FALSE(verify_totp("!!!!not-base32!!!!", "287082", at(59)));
  CHECK_FALSE(verify_totp(key, "287082", at(-100)));
}

TEST_CASE("totp_uri percent-encodes the label and issuer", "[credentials]") {
  CHECK(totp_uri("joe", "example.com", "ABCDEF") ==
        "otpauth://totp/example.com:joe?secret=ABCDEF&issuer=example.com&algorithm=SHA1"
        "&digits=6&period=30");
  CHECK(totp_uri("a b@c:d&e", "my cluster", "S") ==
        "otpauth://totp/my%20cluster:a%20b%40c%3Ad%26e?secret=S&issuer=my%20cluster"
        "&algorithm=SHA1&digits=6&period=30");
  CHECK(totp_uri("j\xc3\xb6", "c", "S").find("j%C3%B6") != std::string::npos);
}

TEST_CASE("QR code PNG is well formed and matches the symbol", "[credentials]") {
  const std::string uri = totp_uri("joe", "example.com", new_totp_secret());
  auto b64 = qr_png_base64(uri);
  REQUIRE(b64);
  REQUIRE_FALSE(b64->empty());
  CHECK(b64->find_first_of("\r\n") == std::string::npos);
  const std::string png = base64_decode(*b64);
  const auto chunks = parse_png(png);
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].type == "IHDR");
  CHECK(chunks[1].type == "IDAT");
  CHECK(chunks[2].type == "IEND");
  CHECK(chunks[2].data.empty());

  const auto& ihdr = chunks[0].data;
  REQUIRE(ihdr.size() == 13);
  const std::uint32_t w = be32(ihdr, 0), h = be32(ihdr, 4);
  CHECK(w == h);
  CHECK(w % 4 == 0);
  const std::uint32_t modules = w / 4 - 8;  // symbol width, without the quiet zone
  CHECK((modules - 17) % 4 == 0);           // QR versions are 17 + 4v modules wide
  CHECK((modules + 8) * 4 == w);
  CHECK(ihdr[8] == 1);  // bit depth
  CHECK(ihdr[9] == 0);  // grayscale

  // Inflate and check the pixels: white quiet zone, finder pattern at the corner.
  const std::size_t row = (w + 7) / 8 + 1;
  std::string raw(row * h, '\0');
  uLongf raw_len = static_cast<uLongf>(raw.size());
  REQUIRE(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_len,
                     reinterpret_cast<const Bytef*>(chunks[1].data.data()),
                     static_cast<uLong>(chunks[1].data.size())) == Z_OK);
  REQUIRE(raw_len == raw.size());
  auto white = [&](std::uint32_t x, std::uint32_t y) {
    const auto byte = static_cast<unsigned char>(raw[y * row + 1 + x / 8]);
    return ((byte >> (7 - x % 8)) & 1) != 0;
  };
  for (std::uint32_t y = 0; y < h; ++y) CHECK(raw[y * row] == '\0');  // filter None
  CHECK(white(0, 0));
  CHECK(white(15, 15));
  CHECK(white(w - 1, h - 1));
  CHECK_FALSE(white(16, 16));            // finder pattern outer ring
  CHECK(white(16 + 4, 16 + 4));          // its white ring
  CHECK_FALSE(white(16 + 12, 16 + 12));  // its dark centre
  CHECK_FALSE(white(w - 17, 16));        // top-right finder
  CHECK_FALSE(white(16, h - 17));        // bottom-left finder
  CHECK(white(w - 16, h - 16));          // no finder bottom-right, quiet zone
}

TEST_CASE("QR code refuses empty, NUL-containing and oversized text", "[credentials]") {
  CHECK_FALSE(qr_png_base64(""));
  CHECK_FALSE(qr_png_base64(std::string("ab\0c", 4)));
  auto huge = qr_png_base64(std::string(4000, 'x'));
  REQUIRE_FALSE(huge);
  CHECK_THAT(huge.message(), Catch::Contains("too long"));
  CHECK(qr_png_base64("x"));
}
