// tsh play, tsh recordings ls, tsh sessions ls: the session recordings and the
// sessions in progress, as the proxy serves them (proxy_queries.hpp). `tsh play`
// also plays a recording from local files (<dir>/<sid>.session.log).
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "apps/tsh/commands.hpp"
#include "apps/tsh/recording.hpp"
#include "apps/tsh/table.hpp"
#include "messages/timestamp.hpp"

namespace tp::apps::tsh {
namespace {

using nlohmann::json;

constexpr std::size_t k_max_answer = (std::size_t{1} << 30) + (1 << 20);
constexpr std::chrono::milliseconds k_max_idle{2000};

bool local_recording(const std::string& target) {
  std::error_code ec;
  for (const char* suffix : {"", ".session.log"}) {
    if (std::filesystem::is_regular_file(target + suffix, ec)) return true;
  }
  return false;
}

// The answer of tp-play:<sid>: {"log":N,"bytes":M}\n, then the two parts.
result<recording> parse_play_answer(const std::string& out) {
  const auto nl = out.find('\n');
  auto head = json::parse(out.substr(0, nl == std::string::npos ? 0 : nl), nullptr, false);
  if (nl == std::string::npos || !head.is_object() || !head["log"].is_number_unsigned() ||
      !head["bytes"].is_number_unsigned()) {
    return make_error("the proxy sent a malformed recording");
  }
  const auto log_n = head["log"].get<std::uint64_t>();
  const auto bytes_n = head["bytes"].get<std::uint64_t>();
  if (out.size() - nl - 1 != log_n + bytes_n) {
    return make_error("the proxy sent a truncated recording");
  }
  return parse_recording(std::string_view(out).substr(nl + 1, log_n), out.substr(nl + 1 + log_n));
}

result<std::vector<json>> fetch_events(const global_flags& g, const std::string& subsystem,
                                       const std::string& what) {
  auto s = open_session(g);
  if (!s) return s.err();
  return proxy_events(*s, s->subsystem(subsystem), what);
}

std::string field(const json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_string() ? printable(it->get<std::string>()) : std::string{};
}

std::string node_of(const json& e) {
  auto name = field(e, "server_hostname");
  return name.empty() ? field(e, "server_id") : name;
}

std::string duration(const std::string& from, const std::string& to) {
  auto a = messages::parse_rfc3339(from);
  auto b = messages::parse_rfc3339(to);
  if (!a || !b || b->unix_seconds < a->unix_seconds) return "";
  const auto s = b->unix_seconds - a->unix_seconds;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
}

// "2026-11-24" or an RFC 3339 time -> unix seconds; "" -> 0 (open end).
result<std::int64_t> parse_time_flag(const std::string& flag, const std::string& text) {
  if (text.empty()) return std::int64_t{0};
  auto t = messages::parse_rfc3339(text.size() == 10 ? text + "T00:00:00Z" : text);
  if (!t) return make_error(flag + ": expected a date (2026-11-24) or an RFC 3339 time");
  return t->unix_seconds;
}

}  // namespace

int cmd_play(const global_flags& g, const play_flags& f) {
  if (!(f.speed > 0) || f.speed > 1000) return fail("--speed must be between 0 and 1000");
  if (f.format != "pty" && f.format != "json" && f.format != "asciicast") {
    return fail("--format must be pty, json or asciicast");
  }
  result<recording> rec = make_error("");
  if (local_recording(f.target)) {
    rec = load_recording_files(f.target);
  } else {
    auto s = open_session(g);
    if (!s) return fail(s.message());
    auto out = proxy_query(*s, s->subsystem("tp-play:" + f.target), "play session " + f.target,
                           k_max_answer);
    if (!out) return fail(out.message());
    rec = parse_play_answer(*out);
  }
  if (!rec) return fail(rec.message());
  if (f.format == "json") {
    std::cout << recording_json(*rec) << std::flush;
    return 0;
  }
  if (f.format == "asciicast") {
    std::cout << recording_asciicast(*rec) << std::flush;
    return 0;
  }
  ::signal(SIGPIPE, SIG_IGN);
  return play_to(*rec, f.speed, k_max_idle, STDOUT_FILENO);
}

int cmd_recordings_ls(const global_flags& g, const std::string& since, const std::string& until) {
  auto from = parse_time_flag("--since", since);
  if (!from) return fail(from.message());
  auto to = parse_time_flag("--until", until);
  if (!to) return fail(to.message());
  auto events = fetch_events(
      g, "tp-recordings:" + std::to_string(*from) + ":" + std::to_string(*to), "list recordings");
  if (!events) return fail(events.message());
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : *events) {
    const auto start = field(e, "session_start"), stop = field(e, "session_stop");
    rows.push_back({field(e, "sid"), field(e, "user"), node_of(e), field(e, "login"), start, stop,
                    duration(start, stop)});
  }
  print_table({"Session ID", "User", "Node", "Login", "Started", "Ended", "Duration"}, rows);
  return 0;
}

int cmd_sessions_ls(const global_flags& g) {
  auto events = fetch_events(g, "tp-sessions", "list the active sessions");
  if (!events) return fail(events.message());
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : *events) {
    std::string parties;
    if (auto p = e.find("parties"); p != e.end() && p->is_array()) {
      for (const auto& u : *p) {
        if (u.is_string())
          parties += (parties.empty() ? "" : ",") + printable(u.get<std::string>());
      }
    }
    rows.push_back({field(e, "sid"), field(e, "user"), node_of(e), field(e, "login"),
                    field(e, "time"), parties});
  }
  print_table({"Session ID", "User", "Node", "Login", "Started", "Parties"}, rows);
  return 0;
}

}  // namespace tp::apps::tsh
