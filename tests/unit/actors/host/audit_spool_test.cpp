#include "actors/host/audit_spool.hpp"

#include <unistd.h>

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
    if (e.path().extension() != ".req") continue;  // the owner's .lock lives here too
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

TEST_CASE("two processes' spools on one directory never share files (graceful restart)",
          "[spool]") {
  test::temp_dir dir;
  const auto path = (dir / "upload" / "node").string();
  const auto side = path + "." + std::to_string(::getpid());
  std::string problem;
  {
    audit_spool old_process(path);
    REQUIRE(old_process.dir() == path);
    REQUIRE(old_process.push(api_request{audit_event_request{{R"({"event":"old"})"}}}));
    // A second owner (the flock is per open file, so this holds within one process too).
    audit_spool new_process(path);
    REQUIRE(new_process.dir() == side);
    CHECK(new_process.empty());  // it does not see, nor send, the old one's file
    REQUIRE(new_process.push(api_request{audit_event_request{{R"({"event":"new"})"}}}));
    CHECK(old_process.files() == 1);
    auto front = old_process.front(&problem);
    REQUIRE(front.has_value());
    CHECK(std::get<audit_event_request>(front->second).events.front() == R"({"event":"old"})");
    // While the side directory's owner lives, a new owner of the main one leaves it alone.
  }
  // Both gone: the next owner of the main directory adopts the side directory's file.
  audit_spool next(path);
  REQUIRE(next.dir() == path);
  REQUIRE(next.files() == 2);
  auto first = next.front(&problem);
  REQUIRE(first.has_value());
  CHECK(std::get<audit_event_request>(first->second).events.front() == R"({"event":"old"})");
  next.pop(first->first);
  auto second = next.front(&problem);
  REQUIRE(second.has_value());
  CHECK(std::get<audit_event_request>(second->second).events.front() == R"({"event":"new"})");
  CHECK_FALSE(std::filesystem::exists(side));
}

TEST_CASE("adopting a side directory keeps its set-aside files and anything unknown", "[spool]") {
  test::temp_dir dir;
  const auto path = (dir / "upload" / "node").string();
  const auto side = path + "." + std::to_string(::getpid());
  {
    audit_spool owner(path);
    audit_spool second(path);
    REQUIRE(second.dir() == side);
    REQUIRE(second.push(api_request{audit_event_request{{R"({"event":"kept"})"}}}));
    std::ofstream(side + "/00000000000000000007.req.bad") << "damaged";
  }
  {
    audit_spool next(path);
    REQUIRE(next.files() == 1);
    std::string problem;
    auto first = next.front(&problem);
    REQUIRE(first.has_value());
    CHECK(problem.empty());
  }
  // The unreadable file is evidence: it moved into the main directory, not deleted.
  const auto moved =
      std::filesystem::path(path) /
      (std::filesystem::path(side).filename().string() + "-00000000000000000007.req.bad");
  CHECK(std::filesystem::exists(moved));
  CHECK_FALSE(std::filesystem::exists(side));

  // A file the spool does not know keeps its side directory in place.
  std::filesystem::create_directories(side);
  std::ofstream(side + "/notes.txt") << "operator's";
  { audit_spool again(path); }
  CHECK(std::filesystem::exists(side + "/notes.txt"));
}
