// The JSON of etcd v3's gateway as the etcd backend uses it, kept apart from the I/O so
// that it is unit-tested without an etcd: our keys under the configured prefix, key
// ranges for our prefix semantics (key_path.hpp), int64 fields (the gateway writes
// them as strings), stored records, and the events of a watch stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "persistence/backend.hpp"

namespace tp::persistence::etcd_json {

using json = nlohmann::json;

std::string b64(std::string_view bytes);

// "/teleport" from "teleport", "/teleport/" or "/teleport"; bad_parameter for an empty
// prefix or one with a NUL byte.
db_result<std::string> normalize_prefix(std::string_view prefix);

// Our keys inside etcd's keyspace.
class key_space {
 public:
  explicit key_space(std::string prefix);  // normalized
  std::string of(std::string_view key) const { return prefix_ + std::string(key); }
  // Our key for an etcd key, nullopt if it is not under the prefix.
  std::optional<std::string> ours(std::string_view etcd_key) const;
  // One etcd range [from, to) holding the subtree of `prefix` (maybe more: filter with
  // in_prefix).
  std::pair<std::string, std::string> span(std::string_view prefix) const;
  // Exact ranges of the subtree; an empty `to` is the single key `from`.
  std::vector<std::pair<std::string, std::string>> subtree(std::string_view prefix) const;

 private:
  std::string prefix_;
};

// An int64 field, as a JSON string or number; 0 when absent or not a number.
std::uint64_t number_of(const json& j, const char* field);
std::uint64_t header_revision(const json& reply);

// The first kv of a range reply, or of the range in a failed txn's responses.
const json* first_kv(const json& range_reply);
const json* range_in_failure(const json& txn_reply);

json compare_created(const std::string& b64_key, std::uint64_t create_revision);
json compare_mod(const std::string& b64_key, std::uint64_t mod_revision);

// Whole seconds of a lease for `ttl`: rounded up, plus one so etcd never deletes an
// item before it expired by our own clock.
std::int64_t lease_seconds(std::chrono::milliseconds ttl);

// A stored kv as our item (revision = mod_revision); io naming the key when the value
// is not a record we wrote or the key is outside our prefix.
db_result<item> decode_kv(const json& kv, const key_space& keys);
bool is_expired(const item& it);

// One line of a watch stream, parsed: the events under `prefix` in order, and where
// to resume. `compacted`: etcd dropped the revisions we asked for (the watcher must
// resync). An error reply or a cancelled watch is an error (reconnect).
struct watch_batch {
  std::vector<event> events;
  std::uint64_t next_revision = 0;  // 0: unchanged
  bool created = false;
  bool compacted = false;
};
db_result<watch_batch> parse_watch_line(std::string_view line, const key_space& keys,
                                        std::string_view prefix);

}  // namespace tp::persistence::etcd_json
