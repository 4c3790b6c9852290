// data_dir/authservers.json and which auth servers answer auth_servers_request.
#include "actors/host/auth_list.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors;

TEST_CASE("authservers.json: written private, read back, bad content ignored", "[auth_list]") {
  test::temp_dir dir;
  const std::string dd = dir.path().string();
  CHECK_FALSE(read_auth_servers_file(dd));  // absent: the configuration applies
  const std::vector<config::address> list{{"10.0.0.7", 3025}, {"10.0.0.8", 4025}};
  REQUIRE(write_auth_servers_file(dd, list));
  CHECK(*read_auth_servers_file(dd) == list);
  struct stat st {};
  REQUIRE(::stat((dir / "authservers.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto write = [&](const std::string& text) { std::ofstream(dir / "authservers.json") << text; };
  write("{not json");
  CHECK_FALSE(read_auth_servers_file(dd));
  write(R"({"a":1})");
  CHECK_FALSE(read_auth_servers_file(dd));
  write("[]");
  CHECK_FALSE(read_auth_servers_file(dd));
  write(R"(["10.0.0.9:3025", 7, "not an address:xx"])");  // the usable entries only
  CHECK(*read_auth_servers_file(dd) == std::vector<config::address>{{"10.0.0.9", 3025}});
}

TEST_CASE("auth_servers_request is asked of auth servers from 0.2.0 on", "[auth_list]") {
  CHECK_FALSE(auth_knows_auth_list("0.1.0"));
  CHECK(auth_knows_auth_list("0.2.0"));
  CHECK(auth_knows_auth_list("1.0.0"));
  CHECK_FALSE(auth_knows_auth_list("garbage"));
}
