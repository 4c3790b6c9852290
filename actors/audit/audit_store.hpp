// The auth server's audit requests, free of actors: audit events into the day
// files, recording chunks into the session files, and the reads of both
// (`tctl get events`, `tctl audit verify`, `tsh play`, `tsh sessions ls`).
//
// Writes are staged by stage() and made durable together by commit(), so the
// audit_log actor can acknowledge many senders with one fsync. A request that
// fails validation stages nothing. Not thread-safe: one owner at a time.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/audit/audit_file.hpp"
#include "actors/audit/recording_store.hpp"
#include "messages/auth_api.hpp"

namespace tp::actors {

class audit_store {
 public:
  using sys_time = std::chrono::system_clock::time_point;

  // <data_dir>/log; `cluster_name` is stamped on every event.
  explicit audit_store(std::string log_dir, std::string cluster_name = {});

  // Which requests belong here, and which of those write.
  static bool handles(const messages::api_request& r);
  static bool writes(const messages::api_request& r);

  // A write request: validated and staged (ok_reply) or refused (api_error).
  messages::api_reply stage(const messages::caller& who, messages::api_request& r, sys_time now);
  // Events that auth itself observed (user.login); `time` and `uid` are added.
  void stage_own(nlohmann::json event, sys_time now);
  // Makes everything staged durable.
  tp::status commit();
  bool has_staged() const { return !events_.empty() || recordings_.has_staged(); }

  // A read request, answered from what was committed.
  messages::api_reply read(const messages::api_request& r, sys_time now) const;

  // A host went offline: its sessions are over.
  void host_offline(const std::string& host_id);

  const std::string& dir() const { return day_files_.dir(); }

 private:
  void track_session(const nlohmann::json& e);

  audit_file day_files_;
  std::unique_ptr<audit_index> index_;  // null when it could not be opened
  recording_store recordings_;
  std::vector<nlohmann::json> events_;          // staged, in arrival order
  std::map<std::string, nlohmann::json> live_;  // sid -> session.start (+ "parties")
  std::string cluster_name_;
};

}  // namespace tp::actors
