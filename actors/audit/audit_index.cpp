#include "actors/audit/audit_index.hpp"

#include <cstdio>
#include <sstream>

#include "persistence/lmdb_backend.hpp"

namespace tp::actors {
namespace {

std::string covered_key(const std::string& day) {
  return "/audit_days/" + day;
}

std::string event_key(const std::string& day, const line_ref& r) {
  char stamp[48];
  std::snprintf(stamp, sizeof stamp, "%020lld.%09d", static_cast<long long>(r.unix_seconds),
                static_cast<int>(r.nanos));
  return "/audit/" + day + "/" + stamp + "/" + r.uid;
}

std::uint64_t covered(persistence::backend& db, const std::string& day) {
  auto it = db.get(covered_key(day));
  if (!it) return 0;
  try {
    return std::stoull(it->value);
  } catch (...) {
    return 0;
  }
}

}  // namespace

audit_index::audit_index(std::unique_ptr<persistence::backend> db) : db_(std::move(db)) {}
audit_index::~audit_index() = default;

std::unique_ptr<audit_index> audit_index::open(const std::string& log_dir, std::string* why) {
  persistence::lmdb_options o;
  o.map_size = std::size_t{1} << 30;  // grows when full
  auto db = persistence::open_lmdb_backend(log_dir + "/index", o);
  if (!db) {
    if (why != nullptr) *why = db.message();
    return nullptr;
  }
  return std::unique_ptr<audit_index>(new audit_index(std::move(*db)));
}

tp::status audit_index::add(const std::string& day, const std::vector<line_ref>& lines,
                            std::uint64_t file_size) {
  if (lines.empty()) return {};
  // Lines before these that the index never saw: leave the day to scans.
  if (covered(*db_, day) != lines.front().offset) return {};
  std::vector<persistence::item> items;
  items.reserve(lines.size() + 1);
  for (const auto& r : lines) {
    items.push_back({event_key(day, r),
                     std::to_string(r.offset) + " " + std::to_string(r.length) + " " + r.type,
                     std::nullopt, 0});
  }
  items.push_back({covered_key(day), std::to_string(file_size), std::nullopt, 0});
  auto st = db_->put_batch(items);
  if (!st) return tp::make_error("indexing the audit log: " + st.message());
  return {};
}

std::optional<std::vector<line_ref>> audit_index::find(const std::string& day,
                                                       std::uint64_t file_size, std::int64_t since,
                                                       std::int64_t until, const std::string& type,
                                                       std::size_t limit) const {
  if (file_size == 0 || covered(*db_, day) != file_size) return std::nullopt;
  auto items = db_->get_range("/audit/" + day + "/");
  if (!items) return std::nullopt;
  std::vector<line_ref> out;
  const std::size_t prefix = 7 + day.size() + 1;  // "/audit/<day>/"
  for (const auto& it : *items) {
    if (it.key.size() < prefix + 30) continue;
    line_ref r;
    try {
      r.unix_seconds = std::stoll(it.key.substr(prefix, 20));
      r.nanos = std::stoi(it.key.substr(prefix + 21, 9));
    } catch (...) {
      return std::nullopt;  // not ours: do not trust the index
    }
    if (r.unix_seconds < since || r.unix_seconds >= until) continue;
    std::istringstream v(it.value);
    if (!(v >> r.offset >> r.length)) return std::nullopt;
    v.get();
    std::getline(v, r.type);
    if (!type.empty() && r.type != type) continue;
    if (r.offset + r.length > file_size) return std::nullopt;
    out.push_back(std::move(r));
    if (out.size() >= limit) break;
  }
  return out;
}

}  // namespace tp::actors
