// The etcd backend's JSON and key mapping, without an etcd (persistence/etcd_json.hpp).
#include "persistence/etcd_json.hpp"

#include <catch2/catch.hpp>

#include "messages/base64.hpp"
#include "persistence/record.hpp"

using namespace tp::persistence;
using namespace tp::persistence::etcd_json;
using tp::messages::base64_encode;

TEST_CASE("etcd: the key prefix is normalized", "[etcd]") {
  CHECK(*normalize_prefix("teleport") == "/teleport");
  CHECK(*normalize_prefix("/teleport/") == "/teleport");
  CHECK(*normalize_prefix("/a/b") == "/a/b");
  CHECK(normalize_prefix("").kind() == error_kind::bad_parameter);
  CHECK(normalize_prefix("///").kind() == error_kind::bad_parameter);
  CHECK(normalize_prefix(std::string("/a\0b", 4)).kind() == error_kind::bad_parameter);
}

TEST_CASE("etcd: our keys and ranges under the prefix", "[etcd]") {
  key_space ks("/tp");
  CHECK(ks.of("/nodes/a") == "/tp/nodes/a");
  CHECK(*ks.ours("/tp/nodes/a") == "/nodes/a");
  CHECK_FALSE(ks.ours("/tpx/nodes"));  // another prefix that merely starts the same
  CHECK_FALSE(ks.ours("/tp"));
  CHECK_FALSE(ks.ours("/other/x"));

  CHECK(ks.span("/") == std::pair<std::string, std::string>{"/tp/", "/tp0"});
  CHECK(ks.span("/nodes") == std::pair<std::string, std::string>{"/tp/nodes", "/tp/nodet"});
  CHECK(ks.span("/nodes/") == std::pair<std::string, std::string>{"/tp/nodes/", "/tp/nodes0"});
  // remove_range must not touch "/nodesX": the key itself plus its children only.
  const auto sub = ks.subtree("/nodes");
  REQUIRE(sub.size() == 2);
  CHECK(sub[0] == std::pair<std::string, std::string>{"/tp/nodes", ""});
  CHECK(sub[1] == std::pair<std::string, std::string>{"/tp/nodes/", "/tp/nodes0"});
  CHECK(ks.subtree("/nodes/").size() == 1);
  // A key ending in 0xff bytes still gets an upper bound.
  CHECK(ks.span(std::string("/a\xff", 3)).second == "/tp/b");
}

TEST_CASE("etcd: int64 fields come as strings or numbers", "[etcd]") {
  const json j = {{"a", "123"}, {"b", 45}, {"c", "-1"}, {"d", "12x"}, {"e", -3}, {"f", true}};
  CHECK(number_of(j, "a") == 123);
  CHECK(number_of(j, "b") == 45);
  CHECK(number_of(j, "c") == 0);
  CHECK(number_of(j, "d") == 0);
  CHECK(number_of(j, "e") == 0);
  CHECK(number_of(j, "f") == 0);
  CHECK(number_of(j, "missing") == 0);
  CHECK(number_of(json::array(), "a") == 0);
  CHECK(number_of(j, "a") == 123);
  CHECK(number_of({{"big", "99999999999999999999999"}}, "big") == 0);
  CHECK(header_revision({{"header", {{"revision", "77"}}}}) == 77);
  CHECK(lease_seconds(std::chrono::milliseconds{1}) == 2);
  CHECK(lease_seconds(std::chrono::milliseconds{1000}) == 2);
  CHECK(lease_seconds(std::chrono::milliseconds{1001}) == 3);
}

TEST_CASE("etcd: stored kvs decode to items, foreign values are errors naming the key", "[etcd]") {
  key_space ks("/tp");
  const json kv = {{"key", base64_encode("/tp/users/joe")},
                   {"value", base64_encode(record::encode("v", 0, 0))},
                   {"mod_revision", "9"}};
  auto it = decode_kv(kv, ks);
  REQUIRE(it);
  CHECK(it->key == "/users/joe");
  CHECK(it->value == "v");
  CHECK(it->revision == 9);
  CHECK_FALSE(it->expires);
  CHECK_FALSE(is_expired(*it));

  auto expired = kv;
  expired["value"] = base64_encode(record::encode("v", record::now_ms() - 5, 0));
  auto e = decode_kv(expired, ks);
  REQUIRE(e);
  CHECK(is_expired(*e));

  auto foreign = kv;
  foreign["value"] = base64_encode("written by someone else");
  auto f = decode_kv(foreign, ks);
  REQUIRE_FALSE(f);
  CHECK(f.kind() == error_kind::io);
  CHECK_THAT(f.message(), Catch::Contains("/users/joe") && Catch::Contains("corrupt"));

  auto outside = kv;
  outside["key"] = base64_encode("/elsewhere/x");
  CHECK_THAT(decode_kv(outside, ks).message(), Catch::Contains("outside the configured prefix"));
  auto not_b64 = kv;
  not_b64["value"] = "***";
  CHECK_FALSE(decode_kv(not_b64, ks));
}

TEST_CASE("etcd: watch stream lines become events", "[etcd]") {
  key_space ks("/tp");
  const std::string put_value = base64_encode(record::encode("1", 0, 0));
  const json line = {
      {"result",
       {{"events",
         {{{"kv",
            {{"key", base64_encode("/tp/a/x")}, {"value", put_value}, {"mod_revision", "5"}}}},
          {{"kv", {{"key", base64_encode("/tp/ab")}, {"value", put_value}, {"mod_revision", "6"}}}},
          {{"type", "DELETE"},
           {"kv", {{"key", base64_encode("/tp/a/x")}, {"mod_revision", "7"}}}}}}}}};
  auto b = parse_watch_line(line.dump(), ks, "/a");
  REQUIRE(b);
  REQUIRE(b->events.size() == 2);  // "/ab" is not under "/a"
  CHECK(b->events[0].type == event_type::put);
  CHECK(b->events[0].item.key == "/a/x");
  CHECK(b->events[0].item.value == "1");
  CHECK(b->events[0].item.revision == 5);
  CHECK(b->events[1].type == event_type::remove);
  CHECK(b->events[1].item.revision == 7);
  CHECK(b->next_revision == 8);  // resume after the last event seen, even a filtered one

  auto created = parse_watch_line(R"({"result":{"created":true,"header":{}}})", ks, "/");
  REQUIRE(created);
  CHECK(created->created);
  CHECK(created->events.empty());
  auto compacted =
      parse_watch_line(R"({"result":{"canceled":true,"compact_revision":"3"}})", ks, "/");
  REQUIRE(compacted);
  CHECK(compacted->compacted);
  CHECK_FALSE(parse_watch_line(R"({"result":{"canceled":true}})", ks, "/"));
  CHECK_FALSE(parse_watch_line(R"({"error":{"message":"etcdserver: no leader"}})", ks, "/"));
  CHECK_FALSE(parse_watch_line("not json", ks, "/"));
  CHECK_FALSE(parse_watch_line(R"({"result":7})", ks, "/"));
}
