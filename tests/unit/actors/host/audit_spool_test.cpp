#include "actors/host/audit_spool.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors;
using namespace tp::messages;

TEST_CASE("the audit spool keeps requests on disk, oldest first, across reopening", "[spool]") {
  test::temp_dir dir;
  const auto path = (dir / "upload" / "node").string();
  {
    audit_spool spool(path);
    CHECK(spool.empty());
    REQUIRE(spool.push(api_request{audit_event_request{{R"({"event":"a"})"}}}));
    REQUIRE(spool.push(api_request{session_chunk_request{"sid", 0, "bytes", {}}}));
    CHECK(spool.files() == 2);
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::others_all) ==
          std::filesystem::perms::none);
  }
  audit_spool spool(path);  // the host restarted
  REQUIRE(spool.files() == 2);
  std::string problem;
  auto first = spool.front(&problem);
  REQUIRE(first.has_value());
  CHECK(problem.empty());
  REQUIRE(std::holds_alternative<audit_event_request>(first->second));
  spool.pop(first->first);
  REQUIRE(spool.push(api_request{audit_event_request{{R"({"event":"c"})"}}}));
  auto second = spool.front(&problem);
  REQUIRE(second.has_value());
  CHECK(std::get<session_chunk_request>(second->second).data == "bytes");
  spool.pop(second->first);
  auto third = spool.front(&problem);
  REQUIRE(third.has_value());
  CHECK(std::get<audit_event_request>(third->second).events.front() == R"({"event":"c"})");
  spool.pop(third->first);
  CHECK(spool.empty());
  CHECK_FALSE(spool.front(&problem).has_value());
}

TEST_CASE("a damaged spool file is set aside, not sent and not fatal", "[spool]") {
  test::temp_dir dir;
  const auto path = (dir / "spool").string();
  audit_spool spool(path);
  REQUIRE(spool.push(api_request{audit_event_request{{R"({"event":"a"})"}}}));
  REQUIRE(spool.push(api_request{audit_event_request{{R"({"event":"b"})"}}}));
  // Truncate the oldest file, as a crash in the middle of a write could.
  std::filesystem::path oldest;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (oldest.empty() || e.path() < oldest) oldest = e.path();
  }
  std::filesystem::resize_file(oldest, 3);
  std::string problem;
  auto item = spool.front(&problem);
  CHECK_THAT(problem, Catch::Contains("set aside"));
  REQUIRE(item.has_value());
  CHECK(std::get<audit_event_request>(item->second).events.front() == R"({"event":"b"})");
  CHECK(std::filesystem::exists(oldest.string() + ".bad"));
  CHECK(spool.files() == 1);
}
