// The audit log's durable part: one JSON object per line in
// <data_dir>/log/<YYYY-MM-DD>.00:00:00.log (UTC day of the event, Teleport's
// file layout), appended and fdatasync'ed before append() returns, so an
// acknowledged event survives a crash. Not thread-safe: owned by one actor.
//
// Each day file is a hash chain: every event carries "prev_hash" (the "hash"
// of the line before it, "" for the first line of a day) and "hash" =
// SHA-256 of the event's JSON with "hash" removed (keys sorted). Changing,
// removing or inserting a line breaks the chain at that line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/audit/audit_index.hpp"
#include "messages/result.hpp"

namespace tp::actors {

class audit_file {
 public:
  explicit audit_file(std::string dir);  // <data_dir>/log
  ~audit_file();
  audit_file(const audit_file&) = delete;
  audit_file& operator=(const audit_file&) = delete;

  // Chains and appends events (JSON objects) to the file of `day`
  // ("2026-11-24") and syncs once for the batch.
  tp::status append(const std::string& day, std::vector<nlohmann::json> events);

  // The batched form: write() chains and appends without syncing; sync() makes
  // everything written so far durable (a day change syncs the previous file).
  // `refs` (optional) receives where each event's line went (for the index).
  tp::status write(const std::string& day, std::vector<nlohmann::json> events,
                   std::vector<line_ref>* refs = nullptr);
  // The size of the open day's file after the last write.
  std::uint64_t size() const { return size_; }
  tp::status sync();

  const std::string& dir() const { return dir_; }

 private:
  tp::status open_day(const std::string& day);

  std::string dir_;
  std::string day_;
  std::string last_hash_;  // of the open day's last line
  int fd_ = -1;
  bool dirty_ = false;  // written since the last sync
  std::uint64_t size_ = 0;
};

// An event as one line of JSON; invalid UTF-8 (e.g. in a command line) is
// replaced instead of failing, since events describe what users typed.
std::string event_text(const nlohmann::json& event);

// A string field of an event, "" when absent or not a string (events come
// from hosts and disk: never throw on their shape).
std::string string_field(const nlohmann::json& event, const char* key);

// The "hash" of an event (its JSON with "hash" removed, keys sorted).
std::string event_hash(nlohmann::json event);

struct chain_report {
  std::size_t lines = 0;     // lines read
  std::size_t bad_line = 0;  // 1-based; 0 when the chain is intact
  std::string reason;
};

// Checks a day file's chain from its first line.
tp::result<chain_report> verify_chain(const std::string& path);

}  // namespace tp::actors
