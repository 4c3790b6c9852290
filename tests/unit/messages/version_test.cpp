#include "messages/version.hpp"

#include <catch2/catch.hpp>

using namespace tp;

TEST_CASE("versions parse as major.minor.patch with an optional v and suffix", "[version]") {
  auto v = parse_semver("v4.1.12-rc.1");
  REQUIRE(v);
  CHECK(v->major == 4);
  CHECK(v->minor == 1);
  CHECK(v->patch == 12);
  CHECK(parse_semver("0.1.0"));
  CHECK(parse_semver(build_version()));
  for (const char* bad : {"", "4", "4.1", "4.1.x", "v", "4.1.2junk", "-1.0.0", "4..1"}) {
    INFO(bad);
    CHECK_FALSE(parse_semver(bad));
  }
}

TEST_CASE("a peer one minor version apart works, further apart is a clear error", "[version]") {
  CHECK(version_incompatibility("tsh", "4.1.0", "4.1.7").empty());
  CHECK(version_incompatibility("node", "4.0.3", "4.1.0").empty());
  CHECK(version_incompatibility("tsh", "4.2.0", "4.1.0").empty());
  const auto old = version_incompatibility("tsh", "3.9.0", "4.1.0");
  CHECK_THAT(old, Catch::Contains("tsh version 3.9.0 is older than the server's 4.1.0"));
  CHECK_THAT(old, Catch::Contains("upgrade the tsh"));
  const auto two = version_incompatibility("node", "4.0.0", "4.2.0");
  CHECK_THAT(two, Catch::Contains("older"));
  const auto newer = version_incompatibility("tctl", "4.3.0", "4.1.0");
  CHECK_THAT(newer, Catch::Contains("newer"));
  CHECK_THAT(newer, Catch::Contains("upgrade the server first"));
  CHECK_THAT(version_incompatibility("tsh", "banana", "4.1.0"), Catch::Contains("not a version"));
}

TEST_CASE("clients may not be older than the cluster's minor version", "[version]") {
  CHECK(client_incompatibility("tsh", "4.1.0", "4.1.9").empty());
  CHECK(client_incompatibility("tsh", "4.2.0", "4.1.0").empty());
  const auto old = client_incompatibility("tsh", "4.0.9", "4.1.0");
  CHECK_THAT(old, Catch::Contains("tsh 4.0.9 is older than the cluster's 4.1.0"));
  CHECK_THAT(old, Catch::Contains("upgrade tsh to 4.1 or later"));
  CHECK_THAT(client_incompatibility("tctl", "4.3.0", "4.1.0"),
             Catch::Contains("use tctl 4.1 or 4.2"));
  CHECK_THAT(client_incompatibility("tctl", "5.1.0", "4.1.0"), Catch::Contains("newer"));
}
