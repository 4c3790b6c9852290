#include "transport/tunnel_frame.hpp"

#include <catch2/catch.hpp>

using namespace tp::transport;

TEST_CASE("tunnel lines: split across feeds, CR dropped", "[tunnel_frame]") {
  line_reader r;
  REQUIRE(r.feed("ssh-ed25519-cert-v01@openssh.com AAAA"));
  CHECK_FALSE(r.next());
  REQUIRE(r.feed(" host\r\n{\"ok\":true}\n{\"ok\""));
  CHECK(r.next() == std::optional<std::string>("ssh-ed25519-cert-v01@openssh.com AAAA host"));
  CHECK(r.next() == std::optional<std::string>("{\"ok\":true}"));
  CHECK_FALSE(r.next());
  REQUIRE(r.feed(":false}\n\n"));
  CHECK(r.next() == std::optional<std::string>("{\"ok\":false}"));
  CHECK(r.next() == std::optional<std::string>(""));
  CHECK_FALSE(r.next());
}

TEST_CASE("tunnel lines: an over-long line is a protocol error", "[tunnel_frame]") {
  line_reader r;
  REQUIRE(r.feed(std::string(max_tunnel_line, 'x')));
  auto st = r.feed("y");
  REQUIRE_FALSE(st);
  CHECK_THAT(st.message(), Catch::Contains("longer than"));

  // Many short lines are fine, however many bytes in all.
  line_reader ok;
  for (int i = 0; i < 100; ++i) REQUIRE(ok.feed(std::string(max_tunnel_line - 1, 'z') + "\n"));
}
