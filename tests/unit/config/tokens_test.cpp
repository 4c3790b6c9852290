#include "config/tokens.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "test_files.hpp"

using namespace tp::config;
using roles = std::set<system_role>;

TEST_CASE("static tokens: inline and file forms", "[config][tokens]") {
  auto t = parse_static_token("proxy,node:xxxxx");
  REQUIRE(t.ok());
  CHECK(t->roles == roles{system_role::proxy, system_role::node});
  CHECK(t->value == "xxxxx");
  CHECK_FALSE(t->from_file());

  t = parse_static_token("auth:/path/to/tokenfile");
  REQUIRE(t.ok());
  CHECK(t->roles == roles{system_role::auth});
  CHECK(t->from_file());
  CHECK(t->file == "/path/to/tokenfile");
  CHECK(t->value.empty());

  t = parse_static_token("trusted_cluster:secret:with:colons");
  REQUIRE(t.ok());
  CHECK(t->roles == roles{system_role::trusted_cluster});
  CHECK(t->value == "secret:with:colons");

  t = parse_static_token("Node, Proxy:abc");  // tctl prints roles capitalised
  REQUIRE(t.ok());
  CHECK(t->roles == roles{system_role::proxy, system_role::node});
}

TEST_CASE("static tokens: bad input", "[config][tokens]") {
  CHECK_THAT(parse_static_token("justatoken").message(),
             Catch::Contains("expected <roles>:<token>"));
  CHECK_THAT(parse_static_token("nod:abc").message(),
             Catch::Contains("unknown role \"nod\"") && Catch::Contains("trusted_cluster"));
  CHECK_THAT(parse_static_token(":abc").message(), Catch::Contains("unknown role"));
  CHECK_THAT(parse_static_token("node,:abc").message(), Catch::Contains("unknown role"));
  CHECK_THAT(parse_static_token("node:").message(), Catch::Contains("empty value"));
  CHECK_THAT(parse_static_token("node:a\x01").message(), Catch::Contains("control characters"));
}

TEST_CASE("flag --roles parsing", "[config][tokens]") {
  CHECK(*parse_service_roles("auth,node,proxy") ==
        roles{system_role::auth, system_role::node, system_role::proxy});
  CHECK(*parse_service_roles("node") == roles{system_role::node});
  CHECK_THAT(parse_service_roles("node,ssh").message(), Catch::Contains("unknown role \"ssh\""));
  CHECK_THAT(parse_service_roles("trusted_cluster").message(), Catch::Contains("unknown role"));
  CHECK_THAT(parse_service_roles("").message(), Catch::Contains("empty role"));
  CHECK_THAT(parse_service_roles("node,").message(), Catch::Contains("empty role"));
}

TEST_CASE("read_token_file", "[config][tokens]") {
  test::scratch_dir dir;
  CHECK(*read_token_file(dir.write("t1", "  s3cret\n")) == "s3cret");
  CHECK_THAT(read_token_file(dir.write("t2", "\n \n")).message(), Catch::Contains("is empty"));
  CHECK_THAT(read_token_file(dir.write("t3", "a\nb\n")).message(),
             Catch::Contains("more than one line"));
  CHECK_THAT(read_token_file(dir.path("missing")).message(),
             Catch::Contains("missing") && Catch::Contains("No such file or directory"));
  CHECK_THAT(read_token_file(dir.path("")).message(), Catch::Contains("not a regular file"));
  CHECK_THAT(read_token_file(dir.write("big", std::string(70000, 'a'))).message(),
             Catch::Contains("larger than"));
}
