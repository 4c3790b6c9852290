#include "actors/proxy/node_directory.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "actors/proxy/proxy_handler.hpp"

using namespace tp;
using namespace tp::actors;

namespace {

messages::node make_node(std::string id, std::string hostname, std::string addr) {
  messages::node n;
  n.meta.name = std::move(id);
  n.spec.hostname = std::move(hostname);
  n.spec.addr = std::move(addr);
  n.spec.host_key = "ssh-ed25519 AAAA";
  return n;
}

}  // namespace

TEST_CASE("proxy subsystem names", "[node_directory]") {
  auto t = parse_proxy_subsystem("proxy:luna:3022");
  REQUIRE(t);
  CHECK(t->host == "luna");
  CHECK(t->port == 3022);
  CHECK(t->cluster.empty());
  t = parse_proxy_subsystem("proxy:luna.example.test:22@example.test");
  REQUIRE(t);
  CHECK(t->host == "luna.example.test");
  CHECK(t->cluster == "example.test");
  t = parse_proxy_subsystem("proxy:[::1]:3022");
  REQUIRE(t);
  CHECK(t->host == "::1");
  t = parse_proxy_subsystem("proxy:luna");
  REQUIRE(t);
  CHECK(t->port == 0);
  CHECK_FALSE(parse_proxy_subsystem("sftp"));
  CHECK_FALSE(parse_proxy_subsystem("proxy:"));
  CHECK_FALSE(parse_proxy_subsystem("proxy:luna:99999"));
  CHECK_FALSE(parse_proxy_subsystem("proxy:luna:22x"));
  CHECK_FALSE(parse_proxy_subsystem("proxy:" + std::string(300, 'a') + ":22"));
}

TEST_CASE("names resolve to exactly one live node", "[node_directory]") {
  node_directory dir("example.test");
  dir.replace(
      {make_node("id-1", "luna", "10.0.0.1:3022"), make_node("id-2", "mars", "10.0.0.2:3022"),
       make_node("id-3", "twin", "10.0.0.3:3022"), make_node("id-4", "twin", "10.0.0.4:3022")});
  CHECK(dir.resolve("luna")->meta.name == "id-1");
  CHECK(dir.resolve("luna.example.test")->meta.name == "id-1");
  CHECK(dir.resolve("id-2")->spec.hostname == "mars");
  CHECK(dir.resolve("10.0.0.2")->meta.name == "id-2");
  CHECK_FALSE(dir.resolve("twin"));  // ambiguous: name the host ID
  CHECK(dir.resolve("id-4")->spec.addr == "10.0.0.4:3022");
  CHECK_FALSE(dir.resolve("venus"));
  CHECK_FALSE(dir.resolve("luna.other.cluster"));
  // Two nodes on one IP: the port picks one; without it (or with another) none.
  dir.replace({make_node("id-5", "a", "127.0.0.1:4001"), make_node("id-6", "b", "127.0.0.1:4002")});
  CHECK_FALSE(dir.resolve("127.0.0.1"));
  CHECK(dir.resolve("127.0.0.1", 4002)->meta.name == "id-6");
  CHECK_FALSE(dir.resolve("127.0.0.1", 4003));
  CHECK(dir.resolve("a", 22)->meta.name == "id-5");  // one match: the port is not checked
  dir.replace({});
  CHECK_FALSE(dir.resolve("luna"));
}

TEST_CASE("the node list tsh reads", "[node_directory]") {
  auto n = make_node("id-1", "luna", "10.0.0.1:3022");
  n.meta.labels = {{"env", "prod"}};
  auto j = nlohmann::json::parse(nodes_json({n}));
  REQUIRE(j.size() == 1);
  CHECK(j[0]["hostname"] == "luna");
  CHECK(j[0]["id"] == "id-1");
  CHECK(j[0]["addr"] == "10.0.0.1:3022");
  CHECK(j[0]["labels"]["env"] == "prod");
  CHECK(j[0]["host_key"] == "ssh-ed25519 AAAA");
}
