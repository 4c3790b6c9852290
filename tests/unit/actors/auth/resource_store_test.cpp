#include "actors/auth/resource_store.hpp"

#include <catch2/catch.hpp>

#include "messages/resource.hpp"
#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors::auth;
using namespace tp::messages;

namespace {

node make_node(const std::string& name, const std::string& env) {
  node n;
  n.meta.name = name;
  n.meta.labels = {{"env", env}};
  n.spec.hostname = name;
  n.spec.addr = "127.0.0.1:3022";
  return n;
}

std::map<std::string, std::string> envs(resource_store& store) {
  auto listed = store.list(resource_kind::node);
  REQUIRE(listed);
  std::map<std::string, std::string> out;
  for (const auto& r : *listed) {
    const auto& n = std::get<node>(r);
    out[n.meta.name] = n.meta.labels.at("env");
  }
  return out;
}

}  // namespace

TEST_CASE("node listings follow every change behind their decoded cache", "[resource_store]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  resource_store store(db);
  REQUIRE(store.put(make_node("a", "prod"), false));
  REQUIRE(store.put(make_node("b", "dev"), false));
  CHECK(envs(store) == std::map<std::string, std::string>{{"a", "prod"}, {"b", "dev"}});
  // Unchanged, changed, removed and new records, and one written behind the store's
  // back (another auth server on the same backend).
  REQUIRE(store.put(make_node("a", "staging"), false));
  REQUIRE(store.remove(resource_kind::node, "b"));
  REQUIRE(store.put(make_node("c", "qa"), false));
  REQUIRE(db->put("/nodes/default/d", to_json(resource{make_node("d", "edge")}).dump()));
  CHECK(envs(store) ==
        std::map<std::string, std::string>{{"a", "staging"}, {"c", "qa"}, {"d", "edge"}});
  CHECK(envs(store) ==
        std::map<std::string, std::string>{{"a", "staging"}, {"c", "qa"}, {"d", "edge"}});
  // A record that stops parsing is skipped, not served from the cache.
  REQUIRE(db->put("/nodes/default/d", "{not json"));
  CHECK(envs(store) == std::map<std::string, std::string>{{"a", "staging"}, {"c", "qa"}});
}
