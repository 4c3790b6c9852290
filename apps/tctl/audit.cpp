// tctl get events, tctl audit verify
#include <iostream>

#include "apps/tctl/commands.hpp"
#include "config/duration.hpp"
#include "messages/timestamp.hpp"

namespace tp::apps::tctl {

using namespace tp::messages;

namespace {

// An RFC 3339 time, or a duration meaning "that long ago" ("1h", "30m").
tp::result<std::int64_t> parse_when(const std::string& text, const char* flag) {
  if (auto t = parse_rfc3339(text)) return t->unix_seconds;
  if (auto d = config::parse_duration(text)) {
    const auto now = std::chrono::system_clock::now() - *d;
    return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  }
  return tp::make_error(std::string(flag) +
                        ": use a time like 2026-11-24T10:00:00Z or a duration like 1h");
}

}  // namespace

int cmd_events(context& ctx, const events_flags& f) {
  audit_query_request q;
  if (!f.since.empty()) {
    auto s = parse_when(f.since, "--since");
    if (!s) return fail(s.message());
    q.since_unix = *s;
  }
  if (!f.until.empty()) {
    auto u = parse_when(f.until, "--until");
    if (!u) return fail(u.message());
    q.until_unix = *u;
  }
  q.event_type = f.type;
  q.limit = f.limit;
  auto r = ctx.client->call_as(std::move(q));
  if (!r) return fail(r.message());
  for (const auto& e : r->events) std::cout << e << "\n";
  if (r->truncated) std::cerr << "(more events match: raise --limit or narrow --since/--until)\n";
  return 0;
}

int cmd_audit_verify(context& ctx) {
  auto r = ctx.client->call_as(audit_verify_request{});
  if (!r) return fail(r.message());
  int rc = 0;
  for (const auto& f : r->files) {
    if (f.bad_line == 0) {
      std::cout << f.file << ": OK (" << f.lines << " events)\n";
    } else {
      std::cout << f.file << ": line " << f.bad_line << ": " << f.reason << "\n";
      rc = 1;
    }
  }
  if (r->files.empty()) std::cout << "no audit log files\n";
  return rc;
}

}  // namespace tp::apps::tctl
