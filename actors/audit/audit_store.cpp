#include "actors/audit/audit_store.hpp"

#include <spdlog/spdlog.h>

#include "actors/audit/audit_reader.hpp"
#include "actors/identity/secrets.hpp"
#include "messages/timestamp.hpp"

namespace tp::actors {

using namespace tp::messages;

namespace {

constexpr std::size_t max_events_per_request = 1000;
constexpr std::size_t max_event_bytes = 64 * 1024;
constexpr std::size_t max_live_sessions = 100000;

api_reply fail(api_errc code, std::string message) {
  return api_error{code, std::move(message)};
}

bool is_host(const caller& who) {
  return who.has_role("node") || who.has_role("proxy");
}

std::string time_text(audit_store::sys_time t) {
  return format_rfc3339(timestamp::from_time_point(t));
}

// Fills in what the server vouches for: time (when absent or unreadable), uid, and
// the cluster the event happened in (events of trusted clusters' users included).
void complete(nlohmann::json& e, const std::string& now_text, const std::string& cluster) {
  if (!cluster.empty()) e["cluster_name"] = cluster;
  if (!e.contains("time") || !e["time"].is_string() ||
      !parse_rfc3339(e["time"].get<std::string>())) {
    e["time"] = now_text;
  }
  if (!e.contains("uid")) e["uid"] = random_uuid();
}

}  // namespace

audit_store::audit_store(std::string log_dir, std::string cluster_name)
    : day_files_(log_dir),
      recordings_(log_dir + "/sessions/default"),
      cluster_name_(std::move(cluster_name)) {
  std::string why;
  index_ = audit_index::open(log_dir, &why);
  if (!index_) spdlog::warn("audit log: no search index ({}); queries scan the day files", why);
}

bool audit_store::handles(const api_request& r) {
  return writes(r) || std::holds_alternative<audit_query_request>(r) ||
         std::holds_alternative<audit_verify_request>(r) ||
         std::holds_alternative<recording_request>(r) ||
         std::holds_alternative<list_sessions_request>(r);
}

bool audit_store::writes(const api_request& r) {
  return std::holds_alternative<audit_event_request>(r) ||
         std::holds_alternative<session_chunk_request>(r);
}

api_reply audit_store::stage(const caller& who, api_request& r, sys_time now) {
  if (auto* chunk = std::get_if<session_chunk_request>(&r)) {
    if (auto st = recordings_.stage(who.name, std::move(*chunk)); !st) {
      return fail(api_errc::bad_parameter, st.message());
    }
    return ok_reply{};
  }
  auto* req = std::get_if<audit_event_request>(&r);
  if (req == nullptr) return fail(api_errc::internal, "not an audit write");
  if (req->events.size() > max_events_per_request) {
    return fail(api_errc::bad_parameter, "too many events in one request");
  }
  const std::string now_text = time_text(now);
  std::vector<nlohmann::json> batch;
  batch.reserve(req->events.size());
  for (const auto& text : req->events) {
    if (text.size() > max_event_bytes)
      return fail(api_errc::bad_parameter, "audit event too large");
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("event") || !j["event"].is_string()) {
      return fail(api_errc::bad_parameter, "an audit event must be a JSON object with \"event\"");
    }
    // Hosts speak only for themselves.
    if (is_host(who)) j["server_id"] = who.name;
    complete(j, now_text, cluster_name_);
    batch.push_back(std::move(j));
  }
  for (auto& j : batch) {
    track_session(j);
    events_.push_back(std::move(j));
  }
  return ok_reply{};
}

void audit_store::stage_own(nlohmann::json event, sys_time now) {
  complete(event, time_text(now), cluster_name_);
  events_.push_back(std::move(event));
}

tp::status audit_store::commit() {
  tp::status result = recordings_.commit();
  auto events = std::move(events_);
  events_.clear();
  // Consecutive events of one day go out in one write; the file is synced when
  // the day changes and at the end.
  std::size_t i = 0;
  while (i < events.size()) {
    const std::string day = events[i]["time"].get<std::string>().substr(0, 10);
    std::vector<nlohmann::json> run;
    while (i < events.size() && events[i]["time"].get<std::string>().compare(0, 10, day) == 0) {
      run.push_back(std::move(events[i++]));
    }
    std::vector<line_ref> refs;
    auto st = day_files_.write(day, std::move(run), index_ ? &refs : nullptr);
    if (!st) {
      if (result) result = st;
      continue;
    }
    // Indexed once durable; a failed index write only slows queries of that day.
    if (auto synced = day_files_.sync(); !synced) {
      if (result) result = synced;
      continue;
    }
    if (index_) {
      if (auto ix = index_->add(day, refs, day_files_.size()); !ix) {
        spdlog::warn("audit log: {}", ix.message());
      }
    }
  }
  if (auto st = day_files_.sync(); !st && result) result = st;
  return result;
}

void audit_store::track_session(const nlohmann::json& e) {
  const std::string sid = string_field(e, "sid");
  if (sid.empty()) return;
  const std::string type = string_field(e, "event");
  if (type == "session.start") {
    if (live_.size() < max_live_sessions) {
      auto& s = live_[sid];
      s = e;
      s["parties"] = nlohmann::json::array({string_field(e, "user")});
    }
  } else if (type == "session.end") {
    live_.erase(sid);
  } else if (type == "session.join" || type == "session.leave") {
    auto it = live_.find(sid);
    if (it == live_.end()) return;
    auto& parties = it->second["parties"];
    const std::string user = string_field(e, "user");
    if (type == "session.join") {
      parties.push_back(user);
    } else {
      for (auto p = parties.begin(); p != parties.end(); ++p) {
        if (*p == user) {
          parties.erase(p);
          break;
        }
      }
    }
  }
}

void audit_store::host_offline(const std::string& host_id) {
  for (auto it = live_.begin(); it != live_.end();) {
    if (string_field(it->second, "server_id") == host_id) {
      it = live_.erase(it);
    } else {
      ++it;
    }
  }
}

api_reply audit_store::read(const api_request& r, sys_time now) const {
  if (auto* q = std::get_if<audit_query_request>(&r)) {
    return query_events(dir(), *q, now, index_.get());
  }
  if (std::holds_alternative<audit_verify_request>(r)) {
    return audit_verify_reply{verify_audit_dir(dir())};
  }
  if (auto* q = std::get_if<recording_request>(&r)) {
    auto got = recordings_.read(q->sid, q->part, q->offset);
    if (!got) {
      const bool missing = got.message().rfind("no recording", 0) == 0;
      return fail(missing ? api_errc::not_found : api_errc::bad_parameter, got.message());
    }
    return std::move(*got);
  }
  if (std::holds_alternative<list_sessions_request>(r)) {
    events_reply out;
    for (const auto& [sid, e] : live_) out.events.push_back(event_text(e));
    return out;
  }
  return fail(api_errc::internal, "not an audit read");
}

}  // namespace tp::actors
