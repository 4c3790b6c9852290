#include "persistence/dynamodb_log.hpp"

#include <system_error>

#include "persistence/dynamodb_json.hpp"
#include "persistence/key_path.hpp"
#include "persistence/record.hpp"

namespace tp::persistence {
namespace {

using namespace dynamodb_json;

constexpr std::size_t page = 500;

}  // namespace

dynamodb_log::dynamodb_log(dynamodb_client& client, sink& out, const dynamodb_options& o)
    : client_(client), out_(out), opts_(o) {}

void dynamodb_log::notice(const std::string& what) const {
  if (opts_.on_notice) opts_.on_notice(what);
}

void dynamodb_log::append(std::uint64_t rev, std::string_view type, std::string_view key,
                          std::string_view value, std::int64_t expires_ms) {
  const auto keep_until =
      std::chrono::duration_cast<std::chrono::seconds>(
          (record::from_ms(record::now_ms()) + opts_.log_retention).time_since_epoch())
          .count();
  json e = {{"HashKey", s(event_hash)},
            {"FullPath", b(event_path(rev))},
            {"Type", s(type)},
            {"ExpiresMs", n(expires_ms)},
            {"Expires", n(keep_until)}};
  if (!key.empty()) e["Key"] = b(key);
  if (!value.empty()) e["Value"] = b(value);
  if (auto st = client_.put_event(std::move(e)); !st) {
    notice("change log entry " + std::to_string(rev) + " not written (" + st.message() +
           "); watchers skip it after the gap timeout");
  }
}

void dynamodb_log::append_put(std::uint64_t rev, std::string_view key, std::string_view value,
                              std::int64_t expires_ms) {
  append(rev, "put", key, value, expires_ms);
}

void dynamodb_log::append_remove(std::uint64_t rev, std::string_view key) {
  append(rev, "remove", key, {}, 0);
}

void dynamodb_log::append_none(std::uint64_t rev) {
  append(rev, "none", {}, {}, 0);
}

db_result<bool> dynamodb_log::delete_version(std::string_view key, std::uint64_t revision) {
  auto rev = client_.next_revision();
  if (!rev) return error_as<bool>(rev);
  auto gone =
      client_.delete_item(key, "Rev = :r", {{":r", n(static_cast<std::int64_t>(revision))}});
  if (gone) {
    append_remove(*rev, key);
    return true;
  }
  append_none(*rev);
  if (gone.is(error_kind::compare_failed) || gone.is(error_kind::not_found)) return false;
  return error_as<bool>(gone);
}

db_status dynamodb_log::start(std::uint64_t from) {
  std::lock_guard lock(mu_);
  if (running_ || stopping_) return {};
  last_ = from;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return {error_kind::io, std::string("cannot start the change log reader: ") + e.what()};
  }
  running_ = true;
  return {};
}

void dynamodb_log::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void dynamodb_log::run() {
  load_expiring();
  for (;;) {
    poll();
    sweep();
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, opts_.poll_interval, [this] { return stopping_; })) return;
  }
}

void dynamodb_log::load_expiring() {
  // Items that expire and were written before the log reader started; later ones
  // arrive through the log.
  std::map<std::string, std::pair<std::int64_t, std::uint64_t>> found;
  auto st = client_.query_items("/", [&](db_result<item> it) {
    if (it && it->expires) found[it->key] = {record::to_ms(*it->expires), it->revision};
    return true;
  });
  if (!st) notice("reading expiring items: " + st.message());
  std::lock_guard lock(mu_);
  for (auto& [k, v] : found) expiring_.emplace(k, v);
}

void dynamodb_log::poll() {
  for (int round = 0; round < 100; ++round) {
    auto entries = client_.events_after(last_, page);
    if (!entries) {
      notice("reading the change log: " + entries.message());
      return;
    }
    std::vector<event> out;
    bool waiting = false;
    for (const auto& raw : *entries) {
      auto e = decode_event(raw);
      if (!e) {
        notice("skipping a malformed change log entry");
        continue;
      }
      if (e->revision <= last_) continue;
      if (e->revision != last_ + 1) {
        // A writer between its two writes, or one that died there.
        const auto now = std::chrono::steady_clock::now();
        if (!gap_since_) gap_since_ = now;
        if (now - *gap_since_ < opts_.gap_timeout) {
          waiting = true;
          break;
        }
        notice("revisions " + std::to_string(last_ + 1) + " to " + std::to_string(e->revision - 1) +
               " never reached the change log; skipped");
      }
      gap_since_.reset();
      last_ = e->revision;
      if (e->type == logged_event::kind::none) continue;
      {
        std::lock_guard lock(mu_);
        if (e->type == logged_event::kind::put && e->it.expires) {
          expiring_[e->it.key] = {record::to_ms(*e->it.expires), e->revision};
        } else {
          expiring_.erase(e->it.key);
        }
      }
      event ev;
      ev.type = e->type == logged_event::kind::put ? event_type::put : event_type::remove;
      ev.item = std::move(e->it);
      if (ev.type == event_type::remove) ev.item.value.clear();
      out.push_back(std::move(ev));
    }
    if (!out.empty()) out_.deliver(std::move(out));
    if (waiting || entries->size() < page) return;
  }
}

void dynamodb_log::sweep() {
  const auto now = record::now_ms();
  std::vector<std::pair<std::string, std::uint64_t>> due;
  {
    std::lock_guard lock(mu_);
    for (auto it = expiring_.begin(); it != expiring_.end();) {
      if (it->second.first <= now) {
        due.emplace_back(it->first, it->second.second);
        it = expiring_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [key, rev] : due) {
    // Exactly one auth server's delete of this version succeeds and is reported.
    if (auto st = delete_version(key, rev); !st) {
      notice("deleting expired " + printable_key(key) + ": " + st.message());
    }
  }
}

}  // namespace tp::persistence
