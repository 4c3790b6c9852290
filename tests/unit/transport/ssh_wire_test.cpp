#include "transport/ssh_wire.hpp"

#include <catch2/catch.hpp>

using namespace tp::transport;

TEST_CASE("wire writer and reader round-trip every field kind", "[ssh_wire]") {
  wire_writer w;
  w.u8(7);
  w.u32(0xdeadbeef);
  w.u64(0x0102030405060708ULL);
  w.string("hello");
  w.string("");
  w.mpint(std::string("\x80\x01", 2));      // top bit set: gains a 0x00
  w.mpint(std::string("\x00\x00\x7f", 3));  // leading zeros dropped
  w.mpint("");                              // zero is the empty string

  wire_reader r(w.data(), "test");
  CHECK(*r.u8("a") == 7);
  CHECK(*r.u32("b") == 0xdeadbeef);
  CHECK(*r.u64("c") == 0x0102030405060708ULL);
  CHECK(*r.string("d") == "hello");
  CHECK(r.string("e")->empty());
  CHECK(*r.mpint("f") == std::string("\x80\x01", 2));
  CHECK(*r.mpint("g") == "\x7f");
  CHECK(r.mpint("h")->empty());
  CHECK(r.empty());
  CHECK(r.expect_end("h").ok());
}

TEST_CASE("wire encoding is the RFC 4251 byte layout", "[ssh_wire]") {
  wire_writer w;
  w.mpint(std::string("\x80", 1));
  w.string("ab");
  CHECK(w.data() == std::string("\x00\x00\x00\x02\x00\x80\x00\x00\x00\x02"
                                "ab",
                                12));
}

TEST_CASE("wire reader refuses truncation and names the field and offset", "[ssh_wire]") {
  wire_writer w;
  w.u32(1);
  w.u32(100);  // a string claiming 100 bytes
  w.raw("abc");
  wire_reader r(w.data(), "blob");
  REQUIRE(r.u32("count").ok());
  auto s = r.string("name");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "blob: name at byte 4: length 100 exceeds the 3 bytes left (truncated?)");
  // The failed read consumed nothing usable; further reads fail cleanly too.
  CHECK_FALSE(r.u64("x").ok());

  wire_reader empty("", "blob");
  CHECK_FALSE(empty.u8("a").ok());
  CHECK_FALSE(empty.u32("a").ok());
  CHECK_FALSE(empty.string("a").ok());
  CHECK_FALSE(empty.mpint("a").ok());
  CHECK(empty.expect_end("nothing").ok());

  wire_reader trailing("xy", "blob");
  auto end = trailing.expect_end("the key");
  REQUIRE_FALSE(end.ok());
  CHECK(end.message().find("2 unexpected bytes after the key") != std::string::npos);
}

TEST_CASE("wire reader refuses malformed mpints and text", "[ssh_wire]") {
  auto read_mpint = [](std::string body, std::size_t max = 2048) {
    wire_writer w;
    w.string(body);
    wire_reader r(w.data());
    return r.mpint("n", max);
  };
  CHECK_FALSE(read_mpint(std::string("\x80", 1)).ok());      // negative
  CHECK_FALSE(read_mpint(std::string("\x00\x7f", 2)).ok());  // superfluous zero
  CHECK_FALSE(read_mpint(std::string("\x00", 1)).ok());      // zero as a byte
  CHECK(read_mpint(std::string("\x00\x80", 2)).ok());
  CHECK_FALSE(read_mpint(std::string(4, '\x01'), 3).ok());  // too large
  CHECK(read_mpint(std::string(3, '\x01'), 3).ok());

  wire_writer w;
  w.string(std::string("a\0b", 3));
  w.string(std::string(10, 'x'));
  wire_reader r(w.data());
  CHECK(r.text("nul").message().find("NUL") != std::string::npos);
  wire_reader r2(w.data());
  (void)r2.string("skip");
  CHECK_FALSE(r2.text("long", 9).ok());
}

TEST_CASE("base64 matches RFC 4648 vectors and is strict", "[ssh_wire]") {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : vectors) {
    CHECK(base64_encode(plain) == enc);
    auto dec = base64_decode(enc);
    REQUIRE(dec.ok());
    CHECK(*dec == plain);
  }
  CHECK(base64_encode_unpadded("f") == "Zg");
  CHECK(base64_encode(std::string("\xff\xfe", 2)) == "//4=");

  CHECK_FALSE(base64_decode("Zg").ok());      // missing padding
  CHECK_FALSE(base64_decode("Zh==").ok());    // non-zero trailing bits
  CHECK_FALSE(base64_decode("Zm9v\n").ok());  // whitespace
  CHECK_FALSE(base64_decode("Z===").ok());
  CHECK_FALSE(base64_decode("====").ok());
  CHECK_FALSE(base64_decode("Zm=v").ok());
  CHECK_FALSE(base64_decode("Zm9*").ok());
}
