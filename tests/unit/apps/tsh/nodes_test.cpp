#include "apps/tsh/nodes.hpp"

#include <catch2/catch.hpp>

#include "transport/ssh_key.hpp"

using namespace tp::apps::tsh;

namespace {

std::string host_key() {
  static const std::string k =
      tp::transport::key_pair::generate(tp::transport::key_type::ed25519)->pub().authorized_key();
  return k;
}

std::string node_json(const std::string& hostname, const std::string& id,
                      const std::string& labels = "{}", const std::string& key = host_key()) {
  return R"({"hostname": ")" + hostname + R"(", "id": ")" + id +
         R"(", "addr": "127.0.0.1:3022", "labels": )" + labels + R"(, "host_key": ")" + key +
         R"("})";
}

}  // namespace

TEST_CASE("parse_nodes reads the tp-nodes array and sorts it") {
  const std::string json = "[" + node_json("mars", "id-2", R"({"env": "prod"})") + "," +
                           node_json("luna", "id-1", R"({"env": "test", "n": 3})") + "]";
  std::size_t skipped = 9;
  auto nodes = parse_nodes(json, &skipped);
  REQUIRE(nodes);
  REQUIRE(nodes->size() == 2);
  CHECK(skipped == 0);
  CHECK(nodes->at(0).hostname == "luna");
  CHECK(nodes->at(0).addr_port() == 3022);
  CHECK(nodes->at(0).addr_host() == "127.0.0.1");
  CHECK(nodes->at(0).labels ==
        std::map<std::string, std::string>{{"env", "test"}});  // 3: not a string
  CHECK(nodes->at(0).host_key == host_key());
}

TEST_CASE("parse_nodes drops entries that could not be pinned safely") {
  const std::string json = "[" + node_json("*", "id-1") + "," + node_json("luna", "a,b") + "," +
                           node_json("luna", "id 3") + "," +
                           node_json("luna", "id-4", "{}", "ssh-ed25519 AAAA") + "," + "42," +
                           node_json("ok", "id-5") + "]";
  std::size_t skipped = 0;
  auto nodes = parse_nodes(json, &skipped);
  REQUIRE(nodes);
  REQUIRE(nodes->size() == 1);
  CHECK(nodes->front().hostname == "ok");
  CHECK(skipped == 5);
}

TEST_CASE("parse_nodes refuses what is not a JSON array") {
  CHECK_FALSE(parse_nodes("{}"));
  CHECK_FALSE(parse_nodes("[{"));
  CHECK_FALSE(parse_nodes(""));
  auto empty = parse_nodes("[]");
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("label selectors") {
  auto sel = parse_label_selector({"env=test,role=db", "x="});
  REQUIRE(sel);
  CHECK(*sel == label_selector{{"env", "test"}, {"role", "db"}, {"x", ""}});
  auto bad = parse_label_selector({"env"});
  REQUIRE_FALSE(bad);
  CHECK(bad.message().find("\"env\"") != std::string::npos);
  CHECK_FALSE(parse_label_selector({"=v"}));

  node_info n;
  n.labels = {{"env", "test"}, {"role", "db"}};
  CHECK(matches(n, {{"env", "test"}}));
  CHECK(matches(n, {}));
  CHECK_FALSE(matches(n, {{"env", "prod"}}));
  CHECK_FALSE(matches(n, {{"zone", "a"}}));
  CHECK(format_labels(n.labels) == "env=test,role=db");
}

TEST_CASE("find_node by ID, name, FQDN and address, ambiguity is an error") {
  auto nodes = parse_nodes("[" + node_json("luna", "id-1") + "," + node_json("mars", "id-2") + "," +
                           node_json("mars", "id-3") + "]");
  REQUIRE(nodes);
  CHECK(find_node(*nodes, "id-2", "example.test")->hostname == "mars");
  CHECK(find_node(*nodes, "LUNA", "example.test")->id == "id-1");
  CHECK(find_node(*nodes, "luna.example.test", "example.test")->id == "id-1");
  auto missing = find_node(*nodes, "venus", "example.test");
  REQUIRE_FALSE(missing);
  CHECK(missing.message() == "node venus not found");
  auto twice = find_node(*nodes, "mars", "example.test");
  REQUIRE_FALSE(twice);
  CHECK(twice.message().find("id-2") != std::string::npos);
  CHECK_FALSE(find_node(*nodes, "127.0.0.1", "example.test"));  // all three share it
  CHECK_FALSE(find_node(*nodes, "", "example.test"));
}
