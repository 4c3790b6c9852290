#include "actors/node/scp_stream.hpp"

#include <catch2/catch.hpp>

#include <string>

using tp::actors::scp_stream;

namespace {

std::string file_record(const std::string& name, const std::string& data) {
  return "C0644 " + std::to_string(data.size()) + " " + name + "\n" + data + std::string(1, '\0');
}

}  // namespace

TEST_CASE("scp stream: file bytes are counted, in any chunking", "[scp_stream]") {
  const std::string payload(100000, 'x');
  const std::string s = "T1700000000 0 1700000000 0\n" + file_record("a.bin", payload) +
                        "D0755 0 dir\n" + file_record("b", "hello\nC0644 9 fake\n") + "E\n" +
                        file_record("empty", "");
  for (std::size_t chunk : {1u, 7u, 4096u, 1000000u}) {
    scp_stream c;
    for (std::size_t i = 0; i < s.size(); i += chunk) c.feed(s.substr(i, chunk));
    CHECK_FALSE(c.lost());
    CHECK(c.files() == 3);
    CHECK(c.bytes() == payload.size() + 19);  // data that looks like a control line is data
  }
}

TEST_CASE("scp stream: warnings and errors carry no data", "[scp_stream]") {
  scp_stream c;
  c.feed(std::string("\x01scp: warning\n", 14) + file_record("f", "abc"));
  CHECK(c.bytes() == 3);
  CHECK_FALSE(c.lost());
}

TEST_CASE("scp stream: something else stops the count", "[scp_stream]") {
  scp_stream bad_line;
  bad_line.feed("hello world\n");
  CHECK(bad_line.lost());
  scp_stream bad_len;
  bad_len.feed("C0644 12x3 f\n");
  CHECK(bad_len.lost());
  scp_stream huge_line;
  huge_line.feed(std::string(5000, 'C'));
  CHECK(huge_line.lost());
  scp_stream too_long;
  too_long.feed("C0644 123456789012345678901 f\n");
  CHECK(too_long.lost());
}
