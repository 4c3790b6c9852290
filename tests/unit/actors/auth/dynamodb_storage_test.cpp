// storage.type: dynamodb against a DynamoDB on loopback (tests/support/dynalite_process:
// dynalite behind a front that checks AWS Signature Version 4 and throttles on
// request): what the backend contract (backend_contract_test.cpp) does not cover --
// credentials and permissions, throttling, a malformed item, the table, several auth
// servers on one table, a writer dying between its two writes.
#include "actors/auth/dynamodb_storage.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "messages/base64.hpp"
#include "persistence/dynamodb_backend.hpp"
#include "tests/unit/actors/auth/shared_backends.hpp"
#include "tests/unit/persistence/test_support.hpp"

using namespace tp;
using namespace tp::test::backends;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

actors::auth::getenv_fn no_env() {
  return [](const char*) -> std::optional<std::string> { return std::nullopt; };
}

// A raw, signed request, as another program would send it.
json raw_call(const std::string& op, const json& body) {
  auto gw = actors::auth::make_dynamodb_gateway(dynamodb_config_for("unused"), no_env());
  REQUIRE(gw);
  auto r = (*gw)->call(op, body.dump());
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

std::string b64(std::string_view s) {
  return messages::base64_encode(s);
}

}  // namespace

TEST_CASE("dynamodb: credentials and permissions are clear errors", "[dynamodb]") {
  auto c = dynamodb_config_for(fresh_table_name());
  c.secret_key = "not-the-secret";
  auto wrong_secret = actors::auth::open_dynamodb_storage(c, no_env());
  REQUIRE_FALSE(wrong_secret);
  CHECK_THAT(wrong_secret.message(),
             Catch::Contains("refused the request signature") && Catch::Contains("secret_key"));

  c.access_key = "AKIDUNKNOWN";
  auto unknown = actors::auth::open_dynamodb_storage(c, no_env());
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.message(), Catch::Contains("refused the access key"));

  c.access_key = denied_key().access_key;
  c.secret_key = denied_key().secret_key;
  auto denied = actors::auth::open_dynamodb_storage(c, no_env());
  REQUIRE_FALSE(denied);
  CHECK_THAT(denied.message(), Catch::Contains("denied DescribeTable on table " + c.table_name));

  c.access_key.clear();
  c.secret_key.clear();
  auto none = actors::auth::open_dynamodb_storage(c, no_env());
  REQUIRE_FALSE(none);
  CHECK_THAT(none.message(), Catch::Contains("no AWS credentials"));

  // From the environment, as the AWS tools take them.
  auto from_env = actors::auth::open_dynamodb_storage(c, [](const char* name) {
    const std::string n = name;
    if (n == "AWS_ACCESS_KEY_ID") return std::optional<std::string>(good_key().access_key);
    if (n == "AWS_SECRET_ACCESS_KEY") return std::optional<std::string>(good_key().secret_key);
    return std::optional<std::string>();
  });
  INFO((from_env ? "" : from_env.message()));
  CHECK(from_env);

  auto down = dynamodb_config_for(fresh_table_name());
  down.endpoint = "http://127.0.0.1:1";
  auto unreachable = actors::auth::open_dynamodb_storage(down, no_env());
  REQUIRE_FALSE(unreachable);
  CHECK_THAT(unreachable.message(), Catch::Contains("DynamoDB at http://127.0.0.1:1 unreachable"));
}

TEST_CASE("dynamodb: the table is created once and its key schema checked", "[dynamodb]") {
  const auto table = fresh_table_name();
  // Two auth servers starting at the same moment on a table nobody created.
  std::unique_ptr<persistence::backend> a, b;
  std::thread t1([&] { a = open_dynamodb_or_fail(dynamodb_config_for(table)); });
  std::thread t2([&] { b = open_dynamodb_or_fail(dynamodb_config_for(table)); });
  t1.join();
  t2.join();
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(a->put("/x", "1"));
  CHECK(b->get("/x")->value == "1");

  const auto other = fresh_table_name();
  raw_call(
      "CreateTable",
      {{"TableName", other},
       {"AttributeDefinitions", json::array({{{"AttributeName", "id"}, {"AttributeType", "S"}}})},
       {"KeySchema", json::array({{{"AttributeName", "id"}, {"KeyType", "HASH"}}})},
       {"BillingMode", "PAY_PER_REQUEST"}});
  auto wrong = actors::auth::open_dynamodb_storage(dynamodb_config_for(other), no_env());
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.message(), Catch::Contains("exists with another key schema"));
}

TEST_CASE("dynamodb: throttling is retried with back-off, then reported", "[dynamodb]") {
  auto b = dynamodb_fixture{}.open();
  REQUIRE(dynalite().throttle(3));
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(b->put("/throttled", "v"));
  CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);  // it waited between the tries
  CHECK(b->get("/throttled")->value == "v");

  REQUIRE(dynalite().throttle(1000));
  auto refused = b->put("/throttled", "w");
  REQUIRE(dynalite().throttle(0));
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.message(), Catch::Contains("kept refusing") &&
                                    Catch::Contains("ProvisionedThroughputExceededException"));
  // Nothing half-written: the value is the old one, and the store works again.
  CHECK(b->get("/throttled")->value == "v");
  REQUIRE(b->put("/throttled", "w"));
  CHECK(b->get("/throttled")->value == "w");
}

TEST_CASE("dynamodb: an item we did not write is named, skipped and repairable", "[dynamodb]") {
  const auto table = fresh_table_name();
  std::vector<std::string> skipped;
  auto opened = actors::auth::open_dynamodb_storage(
      dynamodb_config_for(table), no_env(),
      [&skipped](const std::string& why) { skipped.push_back(why); });
  REQUIRE(opened);
  auto b = std::move(*opened);
  REQUIRE(b->put("/users/ann", "a"));
  // Someone wrote an item without our attributes.
  raw_call("PutItem", {{"TableName", table},
                       {"Item",
                        {{"HashKey", {{"S", "item"}}},
                         {"FullPath", {{"B", b64("/users/joe")}}},
                         {"Value", {{"S", "not ours"}}}}}});
  auto got = b->get("/users/joe");
  REQUIRE_FALSE(got);
  CHECK(got.kind() == persistence::error_kind::io);
  CHECK_THAT(got.message(), Catch::Contains("/users/joe") && Catch::Contains("malformed"));
  auto users = b->get_range("/users");
  REQUIRE(users);
  REQUIRE(users->size() == 1);
  CHECK((*users)[0].key == "/users/ann");
  REQUIRE(skipped.size() == 1);
  CHECK_THAT(skipped[0], Catch::Contains("/users/joe"));
  REQUIRE(b->put("/users/joe", "repaired"));
  CHECK(b->get("/users/joe")->value == "repaired");
}

TEST_CASE("dynamodb: two auth servers on one table agree", "[dynamodb]") {
  const auto table = fresh_table_name();
  auto a = open_dynamodb_or_fail(dynamodb_config_for(table));
  auto b = open_dynamodb_or_fail(dynamodb_config_for(table));
  check_one_create_wins(*a, *b);
  // What one writes, the other reads and watches; an expiry is reported once.
  persistence::test::event_log log;
  auto w = b->watch("/nodes", log.callback());
  REQUIRE(w);
  REQUIRE(a->put("/nodes/n1", "hb", 300ms));
  REQUIRE(log.wait_for_key("/nodes/n1"));
  CHECK(b->get("/nodes/n1")->value == "hb");
  persistence::test::event_log log_a;
  auto wa = a->watch("/nodes", log_a.callback());
  REQUIRE(wa);
  REQUIRE(log.wait_for_count(2, 8s));
  REQUIRE(log_a.wait_for_count(1, 8s));
  std::this_thread::sleep_for(500ms);
  CHECK(log.events().size() == 2);
  CHECK(log.events()[1].type == persistence::event_type::remove);
  CHECK(log_a.events().size() == 1);
  CHECK(log_a.events()[0].type == persistence::event_type::remove);
}

TEST_CASE("dynamodb: a watch skips a revision whose writer died midway", "[dynamodb][watch]") {
  const auto table = fresh_table_name();
  auto gw = actors::auth::make_dynamodb_gateway(dynamodb_config_for(table), no_env());
  REQUIRE(gw);
  persistence::dynamodb_options o;
  o.table_name = table;
  o.gap_timeout = 300ms;
  std::vector<std::string> notices;
  std::mutex mu;
  o.on_notice = [&](const std::string& n) {
    std::lock_guard lock(mu);
    notices.push_back(n);
  };
  auto b = persistence::open_dynamodb_backend(*gw, o);
  REQUIRE(b);
  persistence::test::event_log log;
  auto w = (*b)->watch("/", log.callback());
  REQUIRE(w);
  // A writer that took a revision and died before writing anything.
  raw_call("UpdateItem",
           {{"TableName", table},
            {"Key", {{"HashKey", {{"S", "meta"}}}, {"FullPath", {{"B", b64("revision")}}}}},
            {"UpdateExpression", "ADD Rev :one"},
            {"ExpressionAttributeValues", {{":one", {{"N", "1"}}}}}});
  auto rev = (*b)->put("/after", "v");
  REQUIRE(rev);
  REQUIRE(log.wait_for_key("/after"));
  CHECK(log.events().size() == 1);
  CHECK(log.events()[0].item.revision == *rev);
  std::lock_guard lock(mu);
  CHECK(std::any_of(notices.begin(), notices.end(), [](const std::string& n) {
    return n.find("never reached the change log") != std::string::npos;
  }));
}
