// The JSON of DynamoDB's API (version 2012-08-10) as the DynamoDB backend uses it,
// apart from the I/O so that it is unit-tested without a service: attribute values,
// the table's items (stored values, their revision and expiry; the change log that
// watches read) and the service's error answers.
//
// Table layout (hash key HashKey S, range key FullPath B, so keys sort bytewise):
//   HashKey "item",  FullPath = our key: Value B, Rev N, ExpiresMs N (0 = never),
//                                        Expires N (unix s, the table's TTL attribute)
//   HashKey "event", FullPath = 20-digit revision: Type S (put/remove/none), Key B,
//                                        Value B, ExpiresMs N, Expires N
//   HashKey "meta",  FullPath "revision": Rev N (the counter every write increments)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "persistence/backend.hpp"

namespace tp::persistence::dynamodb_json {

using json = nlohmann::json;

inline constexpr std::string_view item_hash = "item";
inline constexpr std::string_view event_hash = "event";
inline constexpr std::string_view meta_hash = "meta";

json s(std::string_view v);
json n(std::int64_t v);
json b(std::string_view bytes);  // base64 on the wire

// The attribute `name` of an item as S / N / B; nullopt if absent or of another type
// (or, for B, not base64; for N, not an integer).
std::optional<std::string> s_of(const json& item, std::string_view name);
std::optional<std::int64_t> n_of(const json& item, std::string_view name);
std::optional<std::string> b_of(const json& item, std::string_view name);

// {"HashKey": {"S": hash}, "FullPath": {"B": path}}
json key_of(std::string_view hash, std::string_view path);

// "00000000000000000042": the change log's range keys sort by revision.
std::string event_path(std::uint64_t revision);

// A stored item as the backend returns it; io naming the key if it is malformed.
db_result<item> decode_item(const json& attributes);

struct logged_event {
  std::uint64_t revision = 0;
  enum class kind { put, remove, none } type = kind::none;
  item it{};  // key, value, expires, revision
};
// A change log entry; nullopt if malformed.
std::optional<logged_event> decode_event(const json& attributes);

// A service error answer: the part of "__type" after '#'
// ("ConditionalCheckFailedException") and its message.
struct service_error {
  std::string type;
  std::string message;
};
service_error parse_error(unsigned status, std::string_view body);

// Throttling and transient service failures, retried with back-off.
bool is_retryable(const service_error& e, unsigned status);

}  // namespace tp::persistence::dynamodb_json
