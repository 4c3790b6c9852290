#include "transport/frame_codec.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace tp::transport;

namespace {

std::string header(std::uint32_t len, std::uint8_t type) {
  return {static_cast<char>(len >> 24), static_cast<char>(len >> 16), static_cast<char>(len >> 8),
          static_cast<char>(len), static_cast<char>(type)};
}

std::string encoded(const frame& f) {
  auto bytes = encode_frame(f).value();
  return {bytes.begin(), bytes.end()};
}

}  // namespace

TEST_CASE("frames encode as length, type, payload", "[frame]") {
  CHECK(encoded(frame::message("hi")) == header(2, 1) + "hi");
  CHECK(encoded(frame::make(frame_type::ping, "")) == header(0, 3));
  std::vector<char> out{'x'};
  REQUIRE(encode_frame(frame::make(frame_type::error, "bad"), out).ok());
  CHECK(std::string(out.begin(), out.end()) == "x" + header(3, 2) + "bad");
}

TEST_CASE("encoding refuses oversize payloads and leaves the buffer alone", "[frame]") {
  std::vector<char> out{'x'};
  auto st = encode_frame(frame::message(std::string(11, 'a')), out, 10);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("exceeds the maximum of 10 bytes"));
  CHECK(out.size() == 1);
  CHECK(encode_frame(frame::message(std::string(10, 'a')), out, 10).ok());
  CHECK_FALSE(encode_frame(frame{static_cast<frame_type>(9), {}}).ok());
}

TEST_CASE("the decoder reassembles frames fed byte by byte", "[frame]") {
  std::vector<frame> frames = {frame::message("hello"), frame::make(frame_type::ping, ""),
                               frame::message(std::string(1000, '\0')),
                               frame::make(frame_type::error, "bye")};
  std::string stream;
  for (const auto& f : frames) stream += encoded(f);
  frame_decoder dec;
  std::vector<frame> got;
  for (char c : stream) {
    REQUIRE(dec.feed(std::string_view(&c, 1)).ok());
    while (auto f = dec.next()) got.push_back(std::move(*f));
  }
  CHECK(got == frames);
  CHECK(dec.finish().ok());
}

TEST_CASE("the decoder handles arbitrary chunking", "[frame]") {
  std::mt19937 rng(42);
  std::vector<frame> frames;
  std::string stream;
  for (int i = 0; i < 200; ++i) {
    std::string payload(rng() % 300, '\0');
    for (auto& c : payload) c = static_cast<char>(rng());
    frames.push_back(frame::message(payload));
    stream += encoded(frames.back());
  }
  for (int round = 0; round < 20; ++round) {
    frame_decoder dec;
    std::vector<frame> got;
    std::size_t pos = 0;
    while (pos < stream.size()) {
      std::size_t n = std::min<std::size_t>(1 + rng() % 700, stream.size() - pos);
      REQUIRE(dec.feed(std::string_view(stream).substr(pos, n)).ok());
      pos += n;
      while (auto f = dec.next()) got.push_back(std::move(*f));
    }
    REQUIRE(got == frames);
  }
}

TEST_CASE("hostile lengths fail fast without allocating", "[frame]") {
  frame_decoder dec(1024);
  auto st = dec.feed(header(0xffffffffu, 1));
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("4294967295 bytes exceeds the maximum of 1024"));
  CHECK(dec.failed());
  // Sticky: valid input afterwards changes nothing.
  CHECK_FALSE(dec.feed(encoded(frame::message("ok"))).ok());
  CHECK_FALSE(dec.next().has_value());
  CHECK_FALSE(dec.finish().ok());

  frame_decoder at_limit(1024);
  CHECK(at_limit.feed(header(1024, 1)).ok());
  CHECK(at_limit.feed(header(1025, 1)).ok());  // payload bytes of the first frame
  CHECK_FALSE(at_limit.next().has_value());

  // The default maximum is 16 MiB; a declared 16 MiB frame costs nothing until it arrives.
  frame_decoder big;
  CHECK(big.feed(header(16u << 20, 1)).ok());
  CHECK(big.feed(std::string(16u << 20, 'a')).ok());
  REQUIRE(big.next().value().payload.size() == (16u << 20));
  CHECK_FALSE(big.feed(header((16u << 20) + 1, 1)).ok());
}

TEST_CASE("unknown frame types are refused", "[frame]") {
  for (std::uint8_t t : {0, 5, 0xff}) {
    frame_decoder dec;
    auto st = dec.feed(header(0, t));
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.message(), Catch::Contains("unknown frame type"));
  }
}

TEST_CASE("finish reports truncated frames", "[frame]") {
  frame_decoder in_header;
  REQUIRE(in_header.feed(std::string("\0\0", 2)).ok());
  auto st = in_header.finish();
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("2 of 5"));

  frame_decoder in_payload;
  REQUIRE(in_payload.feed(header(10, 1) + "abc").ok());
  st = in_payload.finish();
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("3 of 10 payload bytes"));
}
