// The DynamoDB backend's requests (internal to persistence): one call with retries
// and back-off on throttling, the table check/creation, the revision counter, and
// the item and change-log operations the backend is made of. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "persistence/dynamodb_backend.hpp"

namespace tp::persistence {

class dynamodb_client {
 public:
  using json = nlohmann::json;

  dynamodb_client(std::shared_ptr<dynamodb_gateway> gw, const dynamodb_options& o);

  // The answer; compare_failed for a failed condition; io naming the service, the
  // table and what to fix otherwise. Throttling is retried (options.max_retries).
  db_result<json> call(std::string_view operation, json body);

  // Describes the table, creating it when missing (if allowed) and waiting until it
  // is active; refuses a table with another key schema.
  db_status ensure_table();

  db_result<std::uint64_t> counter();        // the last revision handed out (0: none)
  db_result<std::uint64_t> next_revision();  // atomic increment

  // The stored item even if expired; not_found if absent; io if malformed.
  db_result<item> get_raw(std::string_view key);
  db_status put_item(std::string_view key, std::string_view value, std::int64_t expires_ms,
                     std::uint64_t revision, std::string_view condition, json values);
  // Deletes under condition; the old item.
  db_result<item> delete_item(std::string_view key, std::string_view condition, json values);
  // Stored items under prefix (begins_with: filter with in_prefix), expired ones too,
  // in key order; malformed ones as errors. fn returns false to stop.
  db_status query_items(std::string_view prefix, const std::function<bool(db_result<item>)>& fn);

  db_status put_event(json attributes);
  // Change log entries after `revision`, in order, at most `limit`.
  db_result<std::vector<json>> events_after(std::uint64_t revision, std::size_t limit);

  const std::string& table() const { return opts_.table_name; }
  const dynamodb_options& options() const { return opts_; }

 private:
  json with_table(json body) const;

  std::shared_ptr<dynamodb_gateway> gw_;
  dynamodb_options opts_;
};

}  // namespace tp::persistence
