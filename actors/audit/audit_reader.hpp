// Reading the audit log's day files: event queries for `tctl get events` and
// the hash-chain check of `tctl audit verify`. Reads files only; safe to run
// while the writer appends (a partial last line is skipped by queries).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "messages/auth_api.hpp"
#include "messages/result.hpp"

namespace tp::actors {

inline constexpr std::int64_t max_query_events = 10000;

class audit_index;

// Days the index covers are answered from it (only matching lines are read);
// the others are scanned.
messages::events_reply query_events(const std::string& dir, const messages::audit_query_request& q,
                                    std::chrono::system_clock::time_point now,
                                    const audit_index* index = nullptr);

std::vector<messages::audit_file_check> verify_audit_dir(const std::string& dir);

}  // namespace tp::actors
