#include "actors/audit/recording_store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors;
using tp::messages::session_chunk_request;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string print(std::uint64_t offset, std::uint64_t bytes, std::int64_t ms) {
  return nlohmann::json{{"event", "print"}, {"offset", offset}, {"bytes", bytes}, {"ms", ms}}
      .dump();
}

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

TEST_CASE("recording chunks land at their offsets, once", "[recording]") {
  test::temp_dir dir;
  const auto rec = dir / "sessions";
  recording_store store(rec.string());
  const std::string sid = "3f2a-11";
  REQUIRE(store.stage(
      "node-1", session_chunk_request{
                    sid, 0, "hello ", {R"({"event":"session.start","ms":0})", print(0, 6, 5)}}));
  REQUIRE(store.stage("node-1", session_chunk_request{sid, 6, "world", {print(6, 5, 9)}}));
  CHECK(store.has_staged());
  REQUIRE(store.commit());
  CHECK_FALSE(store.has_staged());
  CHECK(slurp(rec / (sid + ".session.bytes")) == "hello world");
  // A chunk resent after a lost acknowledgement changes nothing.
  REQUIRE(store.stage("node-1", session_chunk_request{sid, 6, "world", {print(6, 5, 9)}}));
  REQUIRE(store.commit());
  CHECK(slurp(rec / (sid + ".session.bytes")) == "hello world");
  CHECK(count_lines(slurp(rec / (sid + ".session.log"))) == 3);
  // A resent chunk that grew keeps only its new part and its new print event.
  REQUIRE(store.stage(
      "node-1", session_chunk_request{sid, 6, "world!!", {print(6, 5, 9), print(11, 2, 12)}}));
  REQUIRE(store.commit());
  CHECK(slurp(rec / (sid + ".session.bytes")) == "hello world!!");
  const auto log = slurp(rec / (sid + ".session.log"));
  CHECK(count_lines(log) == 4);
  // Server-side stamping: session events carry the sender, prints do not.
  CHECK(log.find(R"("server_id":"node-1")") != std::string::npos);

  auto part = store.read(sid, "bytes", 6);
  REQUIRE(part);
  CHECK(part->data == "world!!");
  CHECK(part->total == 13);
  auto whole_log = store.read(sid, "log", 0);
  REQUIRE(whole_log);
  CHECK(whole_log->data == log);
}

TEST_CASE("bad recording chunks are refused and nothing is written", "[recording]") {
  test::temp_dir dir;
  const auto rec = dir / "sessions";
  recording_store store(rec.string());
  CHECK_FALSE(store.stage("n", session_chunk_request{"../etc/passwd", 0, "x", {}}));
  CHECK_FALSE(store.stage("n", session_chunk_request{"", 0, "x", {}}));
  CHECK_FALSE(store.stage("n", session_chunk_request{std::string(65, 'a'), 0, "x", {}}));
  CHECK_FALSE(store.stage("n", session_chunk_request{"s1", 0, "x", {"not json"}}));
  CHECK_FALSE(store.stage("n", session_chunk_request{"s1", 0, "x", {R"({"no_event":1})"}}));
  CHECK_FALSE(store.stage("n", session_chunk_request{"s1", 0, std::string(9u << 20, 'x'), {}}));
  CHECK_FALSE(store.stage("n", session_chunk_request{"s1", std::uint64_t{1} << 60, "x", {}}));
  CHECK_FALSE(store.has_staged());
  REQUIRE(store.commit());
  CHECK_FALSE(std::filesystem::exists(rec));
  // One session, one recording host.
  REQUIRE(store.stage("node-a", session_chunk_request{"s2", 0, "a", {}}));
  auto other = store.stage("node-b", session_chunk_request{"s2", 1, "b", {}});
  REQUIRE_FALSE(other);
  CHECK_THAT(other.message(), Catch::Contains("another host"));
  REQUIRE(store.commit());
  CHECK(slurp(rec / "s2.session.bytes") == "a");
  // Reads: unknown session, bad part, bad ID.
  CHECK_THAT(store.read("nope", "log", 0).message(), Catch::Contains("no recording"));
  CHECK_FALSE(store.read("s2", "passwd", 0));
  CHECK_FALSE(store.read("../s2", "log", 0));
  auto past_end = store.read("s2", "bytes", 100);
  REQUIRE(past_end);
  CHECK(past_end->data.empty());
}

TEST_CASE("a recording continues after the store is reopened", "[recording]") {
  test::temp_dir dir;
  const auto rec = dir / "sessions";
  {
    recording_store store(rec.string());
    REQUIRE(store.stage("n", session_chunk_request{"s3", 0, "abc", {print(0, 3, 1)}}));
    REQUIRE(store.commit());
  }
  recording_store store(rec.string());  // auth restarted
  REQUIRE(store.stage("n", session_chunk_request{"s3", 0, "abc", {print(0, 3, 1)}}));
  REQUIRE(store.stage(
      "n", session_chunk_request{"s3", 3, "def", {print(3, 3, 2), R"({"event":"session.end"})"}}));
  REQUIRE(store.commit());
  CHECK(slurp(rec / "s3.session.bytes") == "abcdef");
  CHECK(count_lines(slurp(rec / "s3.session.log")) == 3);
}
