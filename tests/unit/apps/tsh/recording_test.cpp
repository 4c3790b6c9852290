#include "apps/tsh/recording.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace tp::apps::tsh;
using nlohmann::json;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

namespace {

const std::string start_line =
    R"({"event":"session.start","time":"2026-11-25T03:00:00.123Z","ms":0,"size":"100:30",)"
    R"("user":"alice","login":"root","sid":"s1","server_id":"n1"})";

std::string print(long ms, long off, long n) {
  return R"({"event":"print","time":"2026-11-25T03:00:01Z","ms":)" + std::to_string(ms) +
         R"(,"offset":)" + std::to_string(off) + R"(,"bytes":)" + std::to_string(n) + "}";
}

std::string lines(std::initializer_list<std::string> ls) {
  std::string out;
  for (const auto& l : ls) out += l + "\n";
  return out;
}

// Concatenates the slices the print events point at.
std::string reassemble(const recording& rec) {
  std::string out;
  for (const auto& ev : rec.events) {
    if (ev["event"] != "print") continue;
    out += rec.bytes.substr(ev["offset"].get<std::size_t>(), ev["bytes"].get<std::size_t>());
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string t = (fs::temp_directory_path() / "tsh-rec-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~temp_dir() { fs::remove_all(path); }
};

void write_file(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary);
  out << data;
}

}  // namespace

TEST_CASE("recording parses a complete session") {
  const std::string bytes = "hello world!";
  auto rec = parse_recording(
      lines({start_line, print(10, 0, 5), R"({"event":"session.join","ms":20,"user":"bob"})",
             print(1234, 5, 7), R"({"event":"custom.thing","ms":1300,"x":[1,2]})",
             R"({"event":"session.leave","ms":1400,"user":"bob"})",
             R"({"event":"session.end","ms":1500})"}),
      bytes);
  REQUIRE(rec);
  CHECK(rec->cols == 100);
  CHECK(rec->rows == 30);
  CHECK(rec->start_time == "2026-11-25T03:00:00.123Z");
  CHECK_FALSE(rec->truncated);
  REQUIRE(rec->events.size() == 7);
  CHECK(rec->events[4]["event"] == "custom.thing");  // unknown types are kept
  CHECK(rec->events[6]["event"] == "session.end");
  CHECK(reassemble(*rec) == bytes);
}

TEST_CASE("recording defaults: 80x24 and the first event's time") {
  auto rec = parse_recording(lines({R"({"event":"session.join","ms":0})",
                                    R"({"event":"print","time":"2026-01-02T03:04:05Z","ms":1,)"
                                    R"("offset":0,"bytes":2})"}),
                             "ab");
  REQUIRE(rec);
  CHECK(rec->cols == 80);
  CHECK(rec->rows == 24);
  CHECK(rec->start_time == "2026-01-02T03:04:05Z");

  auto empty = parse_recording("", "");
  REQUIRE(empty);
  CHECK(empty->events.empty());
  CHECK(recording_json(*empty) == "[]\n");
}

TEST_CASE("recording ignores a partial last line") {
  std::string log = lines({start_line, print(10, 0, 3)}) + R"({"event":"print","ms":2)";
  auto rec = parse_recording(log, "abcdef");
  REQUIRE(rec);
  CHECK(rec->events.size() == 2);
  CHECK(rec->truncated);

  // A complete object that only lacks the newline is kept; CRLF and blank lines are fine.
  auto whole = parse_recording(start_line + "\r\n\n" + print(10, 0, 3), "abc");
  REQUIRE(whole);
  CHECK(whole->events.size() == 2);
  CHECK_FALSE(whole->truncated);
}

TEST_CASE("recording clips prints beyond a truncated bytes file") {
  auto rec = parse_recording(lines({start_line, print(1, 0, 5), print(2, 5, 5), print(3, 1, 2),
                                    R"({"event":"session.end","ms":4})"}),
                             "0123456");
  REQUIRE(rec);
  CHECK(rec->truncated);
  REQUIRE(rec->events.size() == 4);  // later prints are dropped, session.end kept
  CHECK(rec->events[2]["bytes"] == 2);
  CHECK(rec->events[3]["event"] == "session.end");
  CHECK(reassemble(*rec) == "0123456");

  auto none = parse_recording(lines({print(1, 0, 4), print(2, 4, 4)}), "");
  REQUIRE(none);
  CHECK(none->events.empty());
  CHECK(playback_steps(*none, 1, milliseconds(2000)).empty());
}

TEST_CASE("recording rejects a bad line in the middle with its number") {
  auto not_json = parse_recording(lines({start_line, "", "{not json", print(1, 0, 1)}), "x");
  REQUIRE_FALSE(not_json);
  CHECK_THAT(not_json.message(), Catch::Contains("line 3"));

  auto array = parse_recording(lines({start_line, "[1,2]", print(1, 0, 1)}), "x");
  REQUIRE_FALSE(array);
  CHECK_THAT(array.message(), Catch::Contains("line 2") && Catch::Contains("not a JSON object"));

  // A complete last line must be valid too: only an unterminated one counts as a crash.
  CHECK_FALSE(parse_recording(lines({start_line, "{oops"}), ""));

  std::string deep = R"({"a":)" + std::string(10000, '[') + std::string(10000, ']') + "}";
  auto nested = parse_recording(lines({start_line, deep}), "");
  REQUIRE_FALSE(nested);
  CHECK_THAT(nested.message(), Catch::Contains("line 2"));
}

TEST_CASE("recording rejects bad numbers and sizes") {
  struct bad_case {
    std::string line;
    std::string mentions;
  };
  const std::vector<bad_case> cases = {
      {R"({"event":"print","ms":-1,"offset":0,"bytes":1})", "\"ms\""},
      {R"({"event":"print","ms":1.5,"offset":0,"bytes":1})", "\"ms\""},
      {R"({"event":"print","ms":1,"offset":-3,"bytes":1})", "\"offset\""},
      {R"({"event":"print","ms":1,"offset":1.0,"bytes":1})", "\"offset\""},
      {R"({"event":"print","ms":1,"offset":0,"bytes":"1"})", "\"bytes\""},
      {R"({"event":"print","ms":1,"offset":0})", "\"bytes\""},
      {R"({"event":"print","offset":0,"bytes":1})", "\"ms\""},
      {R"({"event":"print","ms":1,"offset":18446744073709551615,"bytes":1})", "\"offset\""},
      {R"({"event":"session.join","ms":-5})", "\"ms\""},
      {R"({"event":"resize","ms":5,"size":"100x30"})", "\"size\""},
      {R"({"event":"resize","ms":5,"size":"-1:30"})", "\"size\""},
      {R"({"event":"resize","ms":5,"size":"99999999999:1"})", "\"size\""},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto rec = parse_recording(lines({start_line, c.line, print(9, 0, 1)}), "x");
    REQUIRE_FALSE(rec);
    CHECK_THAT(rec.message(), Catch::Contains("line 2") && Catch::Contains(c.mentions));
  }
  auto start = parse_recording(lines({R"({"event":"session.start","ms":0,"size":"80"})"}), "");
  REQUIRE_FALSE(start);
  CHECK_THAT(start.message(), Catch::Contains("line 1"));
  // ssh -tt from a pipe asks for a terminal of size 0:0: the default size stands.
  auto unsized = parse_recording(lines({R"({"event":"session.start","ms":0,"size":"0:0"})"}), "");
  REQUIRE(unsized);
  CHECK(unsized->cols == 80);
  CHECK(unsized->rows == 24);
}

TEST_CASE("recording_json lists every event") {
  auto rec = parse_recording(
      lines({start_line, print(5, 0, 2), R"({"event":"resize","ms":6,"size":"90:20"})",
             R"({"event":"mystery","ms":7,"note":"kept"})"}),
      "hi");
  REQUIRE(rec);
  const std::string out = recording_json(*rec);
  CHECK(out.find("\n  {") != std::string::npos);  // pretty-printed
  auto arr = json::parse(out);
  REQUIRE(arr.is_array());
  REQUIRE(arr.size() == 4);
  CHECK(arr[0]["event"] == "session.start");
  CHECK(arr[0]["user"] == "alice");
  CHECK(arr[1]["event"] == "print");
  CHECK(arr[1]["bytes"] == 2);
  CHECK(arr[2]["size"] == "90:20");
  CHECK(arr[3]["note"] == "kept");
}

TEST_CASE("recording_asciicast header, timing, UTF-8 and resizes") {
  // "a" + first byte of "é" | rest of "é" + "b" | invalid byte | resize | first byte of "€"
  const std::string bytes =
      "a\xC3\xA9"
      "b\xFF\xE2";
  auto rec =
      parse_recording(lines({start_line, print(0, 0, 2), print(1234, 2, 2), print(1500, 4, 1),
                             R"({"event":"resize","ms":2000,"size":"120:40"})", print(2500, 5, 1),
                             R"({"event":"session.end","ms":3000})"}),
                      bytes);
  REQUIRE(rec);
  const std::string cast = recording_asciicast(*rec);
  auto out = split_lines(cast);
  REQUIRE(out.size() == 6);

  auto header = json::parse(out[0]);
  CHECK(header["version"] == 2);
  CHECK(header["width"] == 100);
  CHECK(header["height"] == 30);
  CHECK(header["timestamp"] == 1795575600);  // 2026-11-25T03:00:00Z
  CHECK(header["env"]["TERM"] == "xterm");

  std::vector<json> ev;
  for (std::size_t i = 1; i < out.size(); ++i) ev.push_back(json::parse(out[i]));  // strict UTF-8
  CHECK(out[1] == R"([0.000, "o", "a"])");
  CHECK(out[2].rfind("[1.234, ", 0) == 0);
  CHECK(ev[1][0].get<double>() == Approx(1.234));
  CHECK(ev[1][2] ==
        "\xC3\xA9"
        "b");  // é reassembled across two prints
  CHECK(ev[2][0].get<double>() == Approx(1.5));
  CHECK(ev[2][2] == "\xEF\xBF\xBD");  // 0xFF → U+FFFD
  CHECK(ev[3] == json::parse(R"([2.0, "r", "120x40"])"));
  CHECK(ev[4][0].get<double>() == Approx(2.5));  // the recording ends inside "€"
  CHECK(ev[4][1] == "o");
  CHECK(ev[4][2] == "\xEF\xBF\xBD");
}

TEST_CASE("recording_asciicast escapes control bytes and handles odd timestamps") {
  auto rec = parse_recording(
      lines({R"({"event":"session.start","time":"2026-11-25T03:00:00+02:00","ms":0})",
             print(1, 0, 6)}),
      std::string("\x1b[1m\"\0", 6));
  REQUIRE(rec);
  auto out = split_lines(recording_asciicast(*rec));
  REQUIRE(out.size() == 2);
  CHECK(json::parse(out[0])["timestamp"] == 1795568400);
  CHECK(json::parse(out[0])["width"] == 80);
  CHECK(json::parse(out[1])[2] == std::string("\x1b[1m\"\0", 6));
  CHECK(out[1].find('\x1b') == std::string::npos);

  rec->start_time = "yesterday";
  auto header = json::parse(split_lines(recording_asciicast(*rec))[0]);
  CHECK_FALSE(header.contains("timestamp"));
  CHECK(header["version"] == 2);
}

TEST_CASE("playback_steps scales delays and caps idle gaps") {
  auto rec = parse_recording(
      lines({start_line, print(0, 0, 1), print(1000, 1, 1), R"({"event":"session.join","ms":5000})",
             print(1500, 2, 1), print(20000, 3, 1), print(19000, 4, 1)}),
      "abcde");
  REQUIRE(rec);
  auto normal = playback_steps(*rec, 1.0, milliseconds(2000));
  REQUIRE(normal.size() == 5);
  CHECK(normal[0].delay == milliseconds(0));
  CHECK(normal[1].delay == milliseconds(1000));
  CHECK(normal[2].delay == milliseconds(500));   // non-print events do not count
  CHECK(normal[3].delay == milliseconds(2000));  // 18.5 s idle capped
  CHECK(normal[4].delay == milliseconds(0));     // time going backwards: no wait
  std::string data;
  for (const auto& s : normal) data += s.data;
  CHECK(data == "abcde");

  auto fast = playback_steps(*rec, 2.0, milliseconds(2000));
  REQUIRE(fast.size() == 5);
  CHECK(fast[1].delay == milliseconds(500));
  CHECK(fast[2].delay == milliseconds(250));
  CHECK(fast[3].delay == milliseconds(1000));
  CHECK(fast[1].data == "b");

  auto no_idle = playback_steps(*rec, 1.0, milliseconds(-5));
  for (const auto& s : no_idle) CHECK(s.delay == milliseconds(0));
}

TEST_CASE("play_to writes the output in time") {
  auto rec = parse_recording(lines({start_line, print(0, 0, 3), print(40, 3, 3), print(80, 6, 3)}),
                             "one two !");
  REQUIRE(rec);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(play_to(*rec, 1.0, milliseconds(2000), fds[1]) == 0);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(elapsed >= milliseconds(70));
  CHECK(elapsed < milliseconds(5000));
  ::close(fds[1]);
  std::string got;
  char buf[64];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, n);
  ::close(fds[0]);
  CHECK(got == "one two !");

  int ro = ::open("/dev/null", O_RDONLY);
  REQUIRE(ro >= 0);
  CHECK(play_to(*rec, 1000.0, milliseconds(0), ro) == 1);  // EBADF: not open for writing
  ::close(ro);
}

TEST_CASE("load_recording_files accepts the three path forms") {
  temp_dir dir;
  const fs::path base = dir.path / "0b6f5a0e-sid";
  write_file(base.string() + ".session.log", lines({start_line, print(3, 0, 4)}));
  write_file(base.string() + ".session.bytes", "ls\r\n");
  for (const std::string& p :
       {base.string(), base.string() + ".session.log", base.string() + ".session.bytes"}) {
    INFO(p);
    auto rec = load_recording_files(p);
    REQUIRE(rec);
    CHECK(rec->events.size() == 2);
    CHECK(rec->bytes == "ls\r\n");
    CHECK(reassemble(*rec) == "ls\r\n");
  }
}

TEST_CASE("load_recording_files errors name the file") {
  temp_dir dir;
  const std::string missing = (dir.path / "nope").string();
  auto none = load_recording_files(missing + ".session.log");
  REQUIRE_FALSE(none);
  CHECK_THAT(none.message(), Catch::Contains(missing + ".session.log"));

  const std::string base = (dir.path / "s").string();
  write_file(base + ".session.log", lines({start_line}));
  auto no_bytes = load_recording_files(base);
  REQUIRE_FALSE(no_bytes);
  CHECK_THAT(no_bytes.message(), Catch::Contains(base + ".session.bytes"));

  write_file(base + ".session.log", lines({start_line, "garbage", print(1, 0, 0)}));
  write_file(base + ".session.bytes", "");
  auto bad = load_recording_files(base);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains(base + ".session.log") && Catch::Contains("line 2"));

  fs::create_directory(dir.path / "d.session.log");
  auto is_dir = load_recording_files((dir.path / "d").string());
  REQUIRE_FALSE(is_dir);
  CHECK_THAT(is_dir.message(), Catch::Contains("not a regular file"));

  // A sparse file just over the limit is refused without being read.
  write_file(base + ".session.log", lines({start_line}));
  fs::resize_file(base + ".session.bytes", max_recording_file_size + 1);
  auto huge = load_recording_files(base);
  REQUIRE_FALSE(huge);
  CHECK_THAT(huge.message(), Catch::Contains(base + ".session.bytes") && Catch::Contains("limit"));
}
