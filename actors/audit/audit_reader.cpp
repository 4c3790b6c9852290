#include "actors/audit/audit_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "actors/audit/audit_file.hpp"
#include "actors/audit/audit_index.hpp"
#include "messages/timestamp.hpp"

namespace tp::actors {
namespace {

constexpr std::string_view day_suffix = ".00:00:00.log";

// The day files, oldest first.
std::vector<std::filesystem::path> day_files(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file(ec) && name.size() == 10 + day_suffix.size() &&
        name.compare(10, std::string::npos, day_suffix) == 0) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string day_of(std::int64_t unix) {
  const auto t = messages::timestamp::from_time_point(
      std::chrono::system_clock::time_point{std::chrono::seconds{unix}});
  return messages::format_rfc3339(t).substr(0, 10);
}

}  // namespace

// Reads the indexed lines of one day file; false if the file does not match.
bool read_indexed(const std::filesystem::path& path, const std::vector<line_ref>& refs,
                  std::vector<std::string>& out) {
  std::ifstream in(path, std::ios::binary);
  for (const auto& r : refs) {
    std::string line(r.length, '\0');
    in.seekg(static_cast<std::streamoff>(r.offset));
    if (!in.read(line.data(), static_cast<std::streamsize>(r.length))) return false;
    if (line.empty() || line.front() != '{') return false;
    out.push_back(std::move(line));
  }
  return true;
}

messages::events_reply query_events(const std::string& dir, const messages::audit_query_request& q,
                                    std::chrono::system_clock::time_point now,
                                    const audit_index* index) {
  messages::events_reply out;
  const std::int64_t until =
      q.until_unix > 0
          ? q.until_unix
          : std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + 1;
  const std::int64_t limit =
      std::clamp<std::int64_t>(q.limit <= 0 ? 1000 : q.limit, 1, max_query_events);
  const std::string first_day = day_of(q.since_unix);
  const std::string last_day = day_of(until);
  for (const auto& path : day_files(dir)) {
    const std::string day = path.filename().string().substr(0, 10);
    if (day < first_day || day > last_day) continue;
    if (index != nullptr) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(path, ec);
      const auto left = static_cast<std::size_t>(limit) - out.events.size();
      auto refs =
          ec ? std::nullopt : index->find(day, size, q.since_unix, until, q.event_type, left + 1);
      std::vector<std::string> lines;
      if (refs && read_indexed(path, *refs, lines)) {
        for (auto& l : lines) {
          if (out.events.size() >= static_cast<std::size_t>(limit)) {
            out.truncated = true;
            return out;
          }
          out.events.push_back(std::move(l));
        }
        continue;
      }
    }
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      auto e = nlohmann::json::parse(line, nullptr, false);
      if (!e.is_object() || !e.contains("time") || !e["time"].is_string()) continue;
      if (!q.event_type.empty() && string_field(e, "event") != q.event_type) continue;
      auto t = messages::parse_rfc3339(e["time"].get<std::string>());
      if (!t || t->unix_seconds < q.since_unix || t->unix_seconds >= until) continue;
      if (static_cast<std::int64_t>(out.events.size()) >= limit) {
        out.truncated = true;
        return out;
      }
      out.events.push_back(std::move(line));
    }
  }
  return out;
}

std::vector<messages::audit_file_check> verify_audit_dir(const std::string& dir) {
  std::vector<messages::audit_file_check> out;
  for (const auto& path : day_files(dir)) {
    messages::audit_file_check c;
    c.file = path.filename().string();
    auto r = verify_chain(path.string());
    if (!r) {
      c.bad_line = 1;
      c.reason = r.message();
    } else {
      c.lines = static_cast<std::int64_t>(r->lines);
      c.bad_line = static_cast<std::int64_t>(r->bad_line);
      c.reason = r->reason;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tp::actors
