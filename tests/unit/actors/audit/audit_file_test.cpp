#include "actors/audit/audit_file.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "actors/audit/audit_reader.hpp"
#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors;

namespace {

nlohmann::json ev(const std::string& type, const std::string& time) {
  return {{"event", type}, {"time", time}, {"user", "alice"}};
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : lines) out << l << "\n";
}

}  // namespace

TEST_CASE("audit day files are hash chains that survive reopening", "[audit]") {
  test::temp_dir dir;
  const std::string log = (dir / "log").string();
  const std::string day = log + "/2026-11-24.00:00:00.log";
  {
    audit_file f(log);
    REQUIRE(f.append("2026-11-24", {ev("session.start", "2026-11-24T10:00:00Z"),
                                    ev("exec", "2026-11-24T10:00:01Z")}));
    REQUIRE(f.append("2026-11-24", {ev("session.end", "2026-11-24T10:00:02Z")}));
  }
  {
    audit_file again(log);  // a restarted auth continues the chain
    REQUIRE(again.append("2026-11-24", {ev("user.login", "2026-11-24T11:00:00Z")}));
  }
  auto ok = verify_chain(day);
  REQUIRE(ok);
  CHECK(ok->lines == 4);
  CHECK(ok->bad_line == 0);
  const auto lines = read_lines(day);
  CHECK(nlohmann::json::parse(lines[0])["prev_hash"] == "");

  SECTION("an altered line") {
    auto l = lines;
    l[2].replace(l[2].find("alice"), 5, "mallo");
    write_lines(day, l);
    auto r = verify_chain(day);
    REQUIRE(r);
    CHECK(r->bad_line == 3);
    CHECK_THAT(r->reason, Catch::Contains("altered"));
  }
  SECTION("a removed line") {
    auto l = lines;
    l.erase(l.begin() + 1);
    write_lines(day, l);
    CHECK(verify_chain(day)->bad_line == 2);
  }
  SECTION("an inserted line") {
    auto l = lines;
    l.insert(l.begin() + 3, lines[1]);
    write_lines(day, l);
    CHECK(verify_chain(day)->bad_line == 4);
  }
  SECTION("garbage") {
    auto l = lines;
    l.push_back("not json");
    write_lines(day, l);
    CHECK(verify_chain(day)->bad_line == 5);
  }
  auto checks = verify_audit_dir(log);
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].file == "2026-11-24.00:00:00.log");
}

TEST_CASE("event queries filter by time, type and limit", "[audit]") {
  test::temp_dir dir;
  const std::string log = (dir / "log").string();
  audit_file f(log);
  REQUIRE(f.append("2026-11-23", {ev("exec", "2026-11-23T23:59:59Z")}));
  REQUIRE(f.append("2026-11-24",
                   {ev("session.start", "2026-11-24T10:00:00Z"), ev("exec", "2026-11-24T10:00:01Z"),
                    ev("exec", "2026-11-24T12:00:00Z")}));
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1795600000}};
  const std::int64_t t_24_0 = 1795478400;  // 2026-11-24T00:00:00Z
  messages::audit_query_request q;
  auto all = query_events(log, q, now);
  CHECK(all.events.size() == 4);
  q.since_unix = t_24_0;
  CHECK(query_events(log, q, now).events.size() == 3);
  q.event_type = "exec";
  CHECK(query_events(log, q, now).events.size() == 2);
  q.until_unix = t_24_0 + 11 * 3600;
  auto one = query_events(log, q, now);
  REQUIRE(one.events.size() == 1);
  CHECK_THAT(one.events[0], Catch::Contains("10:00:01"));
  q = {};
  q.limit = 2;
  auto cut = query_events(log, q, now);
  CHECK(cut.events.size() == 2);
  CHECK(cut.truncated);
}
