#include "persistence/dynamodb_client.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include "persistence/dynamodb_json.hpp"
#include "persistence/key_path.hpp"
#include "persistence/record.hpp"

namespace tp::persistence {
namespace {

using namespace dynamodb_json;
using std::chrono::milliseconds;

constexpr milliseconds max_backoff{2000};
constexpr auto table_wait = std::chrono::seconds{60};

std::string what_to_fix(const service_error& e, std::string_view operation,
                        const std::string& table) {
  if (e.type == "UnrecognizedClientException" || e.type == "InvalidClientTokenId") {
    return "refused the access key (" + e.type + ": " + e.message +
           "); check access_key or AWS_ACCESS_KEY_ID";
  }
  if (e.type == "InvalidSignatureException" || e.type == "SignatureDoesNotMatch") {
    return "refused the request signature (" + e.type + ": " + e.message +
           "); check secret_key or AWS_SECRET_ACCESS_KEY, and the clock";
  }
  if (e.type == "AccessDeniedException") {
    return "denied " + std::string(operation) + " on table " + table + " (" + e.message +
           "); the credentials need dynamodb:" + std::string(operation) + " on it";
  }
  if (e.type == "ResourceNotFoundException") {
    return "has no table " + table + " (" + e.message + ")";
  }
  return "refused " + std::string(operation) + " (" + e.type +
         (e.message.empty() ? "" : ": " + e.message) + ")";
}

}  // namespace

dynamodb_client::dynamodb_client(std::shared_ptr<dynamodb_gateway> gw, const dynamodb_options& o)
    : gw_(std::move(gw)), opts_(o) {}

dynamodb_client::json dynamodb_client::with_table(json body) const {
  body["TableName"] = opts_.table_name;
  return body;
}

db_result<dynamodb_client::json> dynamodb_client::call(std::string_view operation, json body) {
  const std::string text = body.dump();
  thread_local std::minstd_rand jitter{std::random_device{}()};
  milliseconds wait = opts_.retry_base;
  for (int attempt = 0;; ++attempt) {
    auto r = gw_->call(operation, text);
    if (!r) return {error_kind::io, r.message()};
    if (r->status == 200) {
      auto j = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object()) {
        return {error_kind::io,
                gw_->name() + " sent a malformed answer to " + std::string(operation)};
      }
      return j;
    }
    const auto e = parse_error(r->status, r->body);
    if (e.type == "ConditionalCheckFailedException") {
      return {error_kind::compare_failed, "the condition of " + std::string(operation) + " failed"};
    }
    if (!is_retryable(e, r->status)) {
      return {error_kind::io, gw_->name() + " " + what_to_fix(e, operation, opts_.table_name)};
    }
    if (attempt >= opts_.max_retries) {
      return {error_kind::io, gw_->name() + " kept refusing " + std::string(operation) + " after " +
                                  std::to_string(attempt + 1) + " tries (" + e.type + ": " +
                                  e.message + ")"};
    }
    // Full jitter: several auth servers throttled at once do not retry in step.
    const auto cap = std::min(wait, max_backoff);
    std::this_thread::sleep_for(milliseconds{std::uniform_int_distribution<long>(
        cap.count() / 2, std::max<long>(cap.count(), 1))(jitter)});
    wait *= 2;
  }
}

db_status dynamodb_client::ensure_table() {
  const auto deadline = std::chrono::steady_clock::now() + table_wait;
  bool created = false;
  for (;;) {
    auto d = call("DescribeTable", with_table(json::object()));
    if (!d) {
      const bool missing = d.message().find("has no table") != std::string::npos;
      if (!missing || created) return error_as<void>(d);
      if (!opts_.create_table) return error_as<void>(d);
      json spec = {
          {"AttributeDefinitions",
           json::array({{{"AttributeName", "HashKey"}, {"AttributeType", "S"}},
                        {{"AttributeName", "FullPath"}, {"AttributeType", "B"}}})},
          {"KeySchema", json::array({{{"AttributeName", "HashKey"}, {"KeyType", "HASH"}},
                                     {{"AttributeName", "FullPath"}, {"KeyType", "RANGE"}}})},
          {"BillingMode", "PAY_PER_REQUEST"}};
      auto c = call("CreateTable", with_table(std::move(spec)));
      // Another auth server may have created it at the same moment.
      if (!c && c.message().find("ResourceInUseException") == std::string::npos) {
        return error_as<void>(c);
      }
      created = true;
      if (opts_.on_notice) opts_.on_notice("created DynamoDB table " + opts_.table_name);
      continue;
    }
    const auto& t = (*d)["Table"];
    std::string hash, range;
    if (t.is_object() && t.contains("KeySchema") && t["KeySchema"].is_array()) {
      for (const auto& k : t["KeySchema"]) {
        if (k.value("KeyType", "") == "HASH") hash = k.value("AttributeName", "");
        if (k.value("KeyType", "") == "RANGE") range = k.value("AttributeName", "");
      }
    }
    if (hash != "HashKey" || range != "FullPath") {
      return {error_kind::io, gw_->name() + ": table " + opts_.table_name +
                                  " exists with another key schema (hash \"" + hash +
                                  "\", range \"" + range + "\"); give a table of its own"};
    }
    if (t.value("TableStatus", "") == "ACTIVE") break;
    if (std::chrono::steady_clock::now() >= deadline) {
      return {error_kind::io, gw_->name() + ": table " + opts_.table_name +
                                  " is not active after " + std::to_string(table_wait.count()) +
                                  " s"};
    }
    std::this_thread::sleep_for(milliseconds{250});
  }
  if (created) {
    auto ttl =
        call("UpdateTimeToLive", with_table({{"TimeToLiveSpecification",
                                              {{"Enabled", true}, {"AttributeName", "Expires"}}}}));
    if (!ttl && opts_.on_notice) {
      opts_.on_notice("the table's TTL could not be enabled (" + ttl.message() +
                      "); auth servers delete expired items they know of");
    }
  }
  return {};
}

db_result<std::uint64_t> dynamodb_client::counter() {
  auto r = call("GetItem",
                with_table({{"Key", key_of(meta_hash, "revision")}, {"ConsistentRead", true}}));
  if (!r) return error_as<std::uint64_t>(r);
  if (!r->contains("Item")) return std::uint64_t{0};
  const auto rev = n_of((*r)["Item"], "Rev");
  if (!rev || *rev < 0)
    return {error_kind::io, gw_->name() + ": the revision counter is malformed"};
  return static_cast<std::uint64_t>(*rev);
}

db_result<std::uint64_t> dynamodb_client::next_revision() {
  auto r = call("UpdateItem", with_table({{"Key", key_of(meta_hash, "revision")},
                                          {"UpdateExpression", "ADD Rev :one"},
                                          {"ExpressionAttributeValues", {{":one", n(1)}}},
                                          {"ReturnValues", "UPDATED_NEW"}}));
  if (!r) return error_as<std::uint64_t>(r);
  const auto rev = r->contains("Attributes") ? n_of((*r)["Attributes"], "Rev") : std::nullopt;
  if (!rev || *rev <= 0)
    return {error_kind::io, gw_->name() + ": the revision counter is malformed"};
  return static_cast<std::uint64_t>(*rev);
}

db_result<item> dynamodb_client::get_raw(std::string_view key) {
  auto r = call("GetItem", with_table({{"Key", key_of(item_hash, key)}, {"ConsistentRead", true}}));
  if (!r) return error_as<item>(r);
  if (!r->contains("Item"))
    return {error_kind::not_found, "key " + printable_key(key) + " not found"};
  return decode_item((*r)["Item"]);
}

db_status dynamodb_client::put_item(std::string_view key, std::string_view value,
                                    std::int64_t expires_ms, std::uint64_t revision,
                                    std::string_view condition, json values) {
  json attrs = {{"HashKey", s(item_hash)},
                {"FullPath", b(key)},
                {"Rev", n(static_cast<std::int64_t>(revision))},
                {"ExpiresMs", n(expires_ms)}};
  if (!value.empty()) attrs["Value"] = b(value);
  if (expires_ms != 0) attrs["Expires"] = n((expires_ms + 999) / 1000);
  auto r = call("PutItem", with_table({{"Item", std::move(attrs)},
                                       {"ConditionExpression", std::string(condition)},
                                       {"ExpressionAttributeValues", std::move(values)}}));
  if (!r) return error_as<void>(r);
  return {};
}

db_result<item> dynamodb_client::delete_item(std::string_view key, std::string_view condition,
                                             json values) {
  auto r = call("DeleteItem", with_table({{"Key", key_of(item_hash, key)},
                                          {"ConditionExpression", std::string(condition)},
                                          {"ExpressionAttributeValues", std::move(values)},
                                          {"ReturnValues", "ALL_OLD"}}));
  if (!r) return error_as<item>(r);
  if (!r->contains("Attributes")) {
    return {error_kind::not_found, "key " + printable_key(key) + " not found"};
  }
  auto old = decode_item((*r)["Attributes"]);
  if (!old) {  // it is gone now; what it held does not matter
    item it;
    it.key = std::string(key);
    return it;
  }
  return old;
}

db_status dynamodb_client::query_items(std::string_view prefix,
                                       const std::function<bool(db_result<item>)>& fn) {
  json start;
  for (;;) {
    json q = with_table({{"KeyConditionExpression", "HashKey = :h AND begins_with(FullPath, :p)"},
                         {"ExpressionAttributeValues", {{":h", s(item_hash)}, {":p", b(prefix)}}},
                         {"ConsistentRead", true}});
    if (!start.is_null()) q["ExclusiveStartKey"] = start;
    auto r = call("Query", std::move(q));
    if (!r) return error_as<void>(r);
    if (auto items = r->find("Items"); items != r->end() && items->is_array()) {
      for (const auto& it : *items) {
        if (!fn(decode_item(it))) return {};
      }
    }
    auto next = r->find("LastEvaluatedKey");
    if (next == r->end() || !next->is_object() || next->empty()) return {};
    start = *next;
  }
}

db_status dynamodb_client::put_event(json attributes) {
  auto r = call("PutItem", with_table({{"Item", std::move(attributes)}}));
  if (!r) return error_as<void>(r);
  return {};
}

db_result<std::vector<dynamodb_client::json>> dynamodb_client::events_after(std::uint64_t revision,
                                                                            std::size_t limit) {
  using out_t = std::vector<json>;
  auto r =
      call("Query", with_table({{"KeyConditionExpression", "HashKey = :h AND FullPath > :after"},
                                {"ExpressionAttributeValues",
                                 {{":h", s(event_hash)}, {":after", b(event_path(revision))}}},
                                {"ConsistentRead", true},
                                {"Limit", limit}}));
  if (!r) return error_as<out_t>(r);
  out_t out;
  if (auto items = r->find("Items"); items != r->end() && items->is_array()) {
    for (auto& it : *items) out.push_back(std::move(it));
  }
  return out;
}

}  // namespace tp::persistence
