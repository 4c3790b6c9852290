#include "actors/auth/remote_clusters.hpp"

#include <catch2/catch.hpp>

using namespace tp::actors::auth;
using namespace std::chrono_literals;

TEST_CASE("remote clusters: online when a fresh report says so", "[remote_clusters]") {
  remote_clusters rc;
  const auto t0 = std::chrono::system_clock::time_point{std::chrono::seconds{1'800'000'000}};
  // Known but never reported: offline, no heartbeat.
  auto l = rc.list({"east", "west"}, t0);
  REQUIRE(l.size() == 2);
  CHECK(l[0]["name"] == "east");
  CHECK(l[0]["connection"] == "offline");
  CHECK_FALSE(l[0].contains("last_heartbeat"));

  REQUIRE(rc.report("proxy-a",
                    {R"({"cluster":"east","status":"online","last_heartbeat":1800000000})",
                     R"({"cluster":"west","status":"offline","last_heartbeat":1799999000})"},
                    t0));
  REQUIRE(rc.report("proxy-b", {R"({"cluster":"east","status":"offline"})"}, t0));
  l = rc.list({"east", "west"}, t0 + 1s);
  CHECK(l[0]["connection"] == "online");
  CHECK(l[0]["proxies"] == nlohmann::json::array({"proxy-a"}));
  CHECK(l[0]["last_heartbeat"] == "2027-01-15T08:00:00Z");
  CHECK(l[1]["connection"] == "offline");
  CHECK(l[1].contains("last_heartbeat"));

  // A report that went stale counts for nothing; only known leaves are listed.
  l = rc.list({"east"}, t0 + remote_clusters::report_ttl + 1s);
  REQUIRE(l.size() == 1);
  CHECK(l[0]["connection"] == "offline");
  CHECK(rc.list({"east", "west"}, t0, "west").size() == 1);
}

TEST_CASE("remote clusters: a malformed report changes nothing", "[remote_clusters]") {
  remote_clusters rc;
  const auto t0 = std::chrono::system_clock::now();
  REQUIRE(rc.report("p", {R"({"cluster":"east","status":"online"})"}, t0));
  for (const char* bad :
       {"not json", "[]", R"({"status":"online"})", R"({"cluster":1,"status":"x"})"}) {
    INFO(bad);
    CHECK_FALSE(rc.report("p", {R"({"cluster":"east","status":"offline"})", bad}, t0));
  }
  CHECK(rc.list({"east"}, t0)[0]["connection"] == "online");
}
