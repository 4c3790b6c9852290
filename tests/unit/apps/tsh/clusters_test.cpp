#include "apps/tsh/clusters.hpp"

#include <catch2/catch.hpp>

#include "apps/tsh/ssh_exec.hpp"

using namespace tp::apps::tsh;

TEST_CASE("tsh clusters: the proxy's list", "[tsh][clusters]") {
  auto l = parse_clusters(
      R"([{"name":"main","status":"online","local":true},
          {"name":"east","status":"offline","last_heartbeat":1700000000},
          {"name":"bad name","status":"online"},{"name":"x","status":"weird"},{"status":"online"},7])");
  REQUIRE(l);
  REQUIRE(l->size() == 2);
  CHECK((*l)[0].name == "main");
  CHECK((*l)[0].local);
  CHECK((*l)[1].name == "east");
  CHECK((*l)[1].status == "offline");
  CHECK((*l)[1].last_heartbeat == 1700000000);
  CHECK_FALSE(parse_clusters("{\"error\":\"x\"}"));
  CHECK_FALSE(parse_clusters("not json"));
}

TEST_CASE("tsh --cluster: the ProxyCommand names the leaf cluster", "[tsh][clusters]") {
  ssh_identity id{"/k", "/k-cert.pub", "/kh"};
  const auto own = proxy_command(id, {"proxy.main", 3023, ""});
  CHECK(own.size() > 15);
  CHECK(own.substr(own.size() - 15) == " -s proxy:%h:%p");
  const auto leaf = proxy_command(id, {"proxy.main", 3023, "east"});
  CHECK(leaf.substr(leaf.size() - 20) == " -s proxy:%h:%p@east");
}
