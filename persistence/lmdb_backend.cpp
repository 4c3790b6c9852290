#include "persistence/lmdb_backend.hpp"

#include <lmdb.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "persistence/key_path.hpp"
#include "persistence/lmdb_files.hpp"
#include "persistence/lmdb_util.hpp"
#include "persistence/record.hpp"
#include "persistence/watch_hub.hpp"

namespace tp::persistence {

namespace {

using lmdb::dbis;
using lmdb::failure;
using lmdb::for_each_in_prefix;
using lmdb::from_val;
using lmdb::to_val;

using lmdb::revision_key;
using record::expiry_of;
constexpr int max_retries = 8;  // map growths / resizes per operation

// State of one write transaction.
struct write_ctx {
  MDB_txn* txn = nullptr;
  std::uint64_t revision = 0;  // last revision handed out, including this txn's
  bool want_events = false;    // skip copying values when nobody watches
  std::vector<event> events;
  std::int64_t earliest_expiry = 0;  // 0 = this txn wrote no expiring item
  int rc = 0;                        // LMDB code that failed the body, for MAP_FULL retry
};

// The current record of a key as seen inside a write transaction, copied out
// because LMDB's pointers die at the next write.
struct current {
  bool live = false;            // present and not expired
  bool present = false;         // present, possibly expired
  std::int64_t expires_ms = 0;  // of the present record
  std::string value;            // only when asked for
};

db_status corrupt(std::string_view key) {
  return {error_kind::io, "stored record for key " + printable_key(key) +
                              " is corrupt (not written by this version?)"};
}

class lmdb_backend final : public backend {
 public:
  lmdb_backend(MDB_env* env, dbis dbs, const lmdb_options& opts, std::uint64_t revision,
               std::unique_ptr<lmdb::open_claim> claim)
      : env_(env),
        dbs_(dbs),
        opts_(opts),
        revision_(revision),
        claim_(std::move(claim)),
        hub_(watch_hub::make(opts.watch_queue_capacity)) {}

  // Separate from the constructor so a failure to start is an error value.
  db_status start() {
    try {
      sweeper_ = std::thread([this] { sweep_loop(); });
    } catch (const std::system_error& e) {
      return {error_kind::io, std::string("cannot start the TTL sweeper thread: ") + e.what()};
    }
    return {};
  }

  ~lmdb_backend() override {
    {
      std::lock_guard lock(sweep_mu_);
      stop_ = true;
    }
    sweep_cv_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
    hub_->close();  // joins watcher threads; their callbacks may still use us
    mdb_env_close(env_);
  }

  db_result<item> get(std::string_view key) override {
    if (auto s = validate_key(key); !s) return error_as<item>(s);
    return read<item>([&](MDB_txn* txn) -> db_result<item> {
      MDB_val k = to_val(key), v{};
      int rc = mdb_get(txn, dbs_.items, &k, &v);
      if (rc == MDB_NOTFOUND) return {error_kind::not_found, not_found_text(key)};
      if (rc != 0) return error_as<item>(failure(rc, "cannot read " + printable_key(key)));
      auto rec = record::decode(from_val(v));
      if (!rec) return error_as<item>(corrupt(key));
      if (record::expired(*rec, record::now_ms())) {
        return {error_kind::not_found, not_found_text(key)};
      }
      return make_item(key, *rec);
    });
  }

  db_result<std::uint64_t> put(std::string_view key, std::string_view value, ttl_ms ttl) override {
    if (auto s = validate_key(key); !s) return error_as<std::uint64_t>(s);
    auto expires = expiry_of(ttl);
    if (!expires) return error_as<std::uint64_t>(expires);
    return write<std::uint64_t>([&](write_ctx& ctx) -> db_result<std::uint64_t> {
      auto cur = load(ctx, key, false, true);
      if (!cur) return error_as<std::uint64_t>(cur);
      return store(ctx, key, value, *expires, cur->expires_ms);
    });
  }

  db_result<std::uint64_t> create(std::string_view key, std::string_view value,
                                  ttl_ms ttl) override {
    if (auto s = validate_key(key); !s) return error_as<std::uint64_t>(s);
    auto expires = expiry_of(ttl);
    if (!expires) return error_as<std::uint64_t>(expires);
    return write<std::uint64_t>([&](write_ctx& ctx) -> db_result<std::uint64_t> {
      auto cur = load(ctx, key, false);
      if (!cur) return error_as<std::uint64_t>(cur);
      if (cur->live) {
        return {error_kind::already_exists, "key " + printable_key(key) + " already exists"};
      }
      return store(ctx, key, value, *expires, cur->expires_ms);
    });
  }

  db_result<std::uint64_t> compare_and_swap(std::string_view key, std::string_view expected,
                                            std::string_view value, ttl_ms ttl) override {
    if (auto s = validate_key(key); !s) return error_as<std::uint64_t>(s);
    auto expires = expiry_of(ttl);
    if (!expires) return error_as<std::uint64_t>(expires);
    return write<std::uint64_t>([&](write_ctx& ctx) -> db_result<std::uint64_t> {
      auto cur = load(ctx, key, true);
      if (!cur) return error_as<std::uint64_t>(cur);
      if (!cur->live) return {error_kind::not_found, not_found_text(key)};
      if (cur->value != expected) {
        return {error_kind::compare_failed,
                "key " + printable_key(key) + " does not hold the expected value"};
      }
      return store(ctx, key, value, *expires, cur->expires_ms);
    });
  }

  db_status remove(std::string_view key) override {
    if (auto s = validate_key(key); !s) return s;
    return write<void>([&](write_ctx& ctx) -> db_status {
      auto cur = load(ctx, key, false, true);
      if (!cur) return error_as<void>(cur);
      // An expired record is left to the sweeper, which reports its removal.
      if (!cur->live) return {error_kind::not_found, not_found_text(key)};
      return erase(ctx, key, cur->expires_ms);
    });
  }

  db_result<std::vector<item>> get_range(std::string_view prefix, std::size_t limit) override {
    using out_t = std::vector<item>;
    if (auto s = validate_prefix(prefix); !s) return error_as<out_t>(s);
    return read<out_t>([&](MDB_txn* txn) -> db_result<out_t> {
      out_t out;
      if (limit == 0) return out;
      const auto now = record::now_ms();
      std::string bad_key;
      int rc =
          for_each_in_prefix(txn, dbs_.items, prefix, [&](std::string_view k, std::string_view v) {
            auto rec = record::decode(v);
            if (!rec) {
              bad_key = k;
              return false;
            }
            if (!record::expired(*rec, now)) out.push_back(make_item(k, *rec));
            return out.size() < limit;
          });
      if (rc != 0)
        return error_as<out_t>(failure(rc, "cannot read range " + printable_key(prefix)));
      if (!bad_key.empty()) return error_as<out_t>(corrupt(bad_key));
      return out;
    });
  }

  db_result<std::size_t> remove_range(std::string_view prefix) override {
    if (auto s = validate_prefix(prefix); !s) return error_as<std::size_t>(s);
    return write<std::size_t>([&](write_ctx& ctx) -> db_result<std::size_t> {
      struct doomed {
        std::string key;
        std::int64_t expires_ms;
      };
      std::vector<doomed> keys;
      std::size_t live = 0;
      const auto now = record::now_ms();
      int rc = for_each_in_prefix(ctx.txn, dbs_.items, prefix,
                                  [&](std::string_view k, std::string_view v) {
                                    auto rec = record::decode(v);
                                    std::int64_t exp = rec ? rec->expires_ms : 0;
                                    if (!rec || !record::expired(*rec, now)) ++live;
                                    keys.push_back({std::string(k), exp});
                                    return true;
                                  });
      if (rc != 0) {
        ctx.rc = rc;
        return error_as<std::size_t>(failure(rc, "cannot read range " + printable_key(prefix)));
      }
      // Expired-but-unswept records go too; watchers get their remove now.
      for (const auto& d : keys) {
        if (auto s = erase(ctx, d.key, d.expires_ms); !s) return error_as<std::size_t>(s);
      }
      return live;
    });
  }

  db_status put_batch(const std::vector<item>& items) override {
    for (const auto& it : items) {
      if (auto s = validate_key(it.key); !s) return s;
    }
    if (items.empty()) return {};
    return write<void>([&](write_ctx& ctx) -> db_status {
      for (const auto& it : items) {
        // A past expiry is kept (clamped to >0): the item is born expired.
        std::int64_t expires =
            it.expires ? std::max<std::int64_t>(1, record::to_ms(*it.expires)) : 0;
        auto cur = load(ctx, it.key, false, true);
        if (!cur) return error_as<void>(cur);
        if (auto r = store(ctx, it.key, it.value, expires, cur->expires_ms); !r) {
          return error_as<void>(r);
        }
      }
      return {};
    });
  }

  db_result<watch_handle> watch(std::string_view prefix, watch_callback callback) override {
    if (auto s = validate_prefix(prefix); !s) return error_as<watch_handle>(s);
    if (!callback) return {error_kind::bad_parameter, "watch callback is empty"};
    return hub_->subscribe(std::string(prefix), std::move(callback));
  }

 private:
  static std::string not_found_text(std::string_view key) {
    return "key " + printable_key(key) + " not found";
  }

  static item make_item(std::string_view key, const record::view& rec) {
    item it;
    it.key = key;
    it.value = rec.value;
    if (rec.expires_ms != 0) it.expires = record::from_ms(rec.expires_ms);
    it.revision = rec.revision;
    return it;
  }

  // Runs body(txn) in a read-only transaction.
  template <class R, class F>
  db_result<R> read(F&& body) {
    for (int attempt = 0;; ++attempt) {
      std::shared_lock lock(resize_mu_);
      MDB_txn* raw = nullptr;
      int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw);
      if (rc == MDB_MAP_RESIZED && attempt < max_retries) {
        lock.unlock();
        if (auto s = adopt_map_size(); !s) return error_as<R>(s);
        continue;
      }
      if (rc != 0) return error_as<R>(failure(rc, "cannot begin a read transaction"));
      lmdb::txn txn(raw);
      return body(txn.get());
    }
  }

  // Runs body(ctx) in the (single) write transaction, commits durably, then
  // publishes its events. Grows the map and retries if it fills up.
  template <class R, class F>
  db_result<R> write(F&& body) {
    std::lock_guard lock(write_mu_);
    for (int attempt = 0;; ++attempt) {
      write_ctx ctx;
      ctx.revision = revision_;
      ctx.want_events = hub_->watcher_count() > 0;
      MDB_txn* raw = nullptr;
      int rc = mdb_txn_begin(env_, nullptr, 0, &raw);
      if (rc == MDB_MAP_RESIZED && attempt < max_retries) {
        if (auto s = adopt_map_size(); !s) return error_as<R>(s);
        continue;
      }
      if (rc != 0) return error_as<R>(failure(rc, "cannot begin a write transaction"));
      lmdb::txn txn(raw);
      ctx.txn = raw;

      db_result<R> result = body(ctx);
      if (result.ok() && ctx.revision != revision_) {
        std::string rev = record::encode({}, 0, ctx.revision);
        MDB_val k = to_val(revision_key), v = to_val(rev);
        if (int prc = mdb_put(raw, dbs_.meta, &k, &v, 0); prc != 0) {
          ctx.rc = prc;
          result = error_as<R>(failure(prc, "cannot store the revision counter"));
        }
      }
      if (result.ok()) {
        rc = txn.commit();
      } else {
        txn.abort();
        rc = ctx.rc;
      }
      if (rc == MDB_MAP_FULL && attempt < max_retries) {
        if (auto s = grow(); !s) return error_as<R>(s);
        continue;
      }
      if (!result.ok()) return result;
      if (rc != 0) return error_as<R>(failure(rc, "cannot commit the write"));
      revision_ = ctx.revision;
      hub_->publish(std::move(ctx.events));  // under write_mu_: keeps commit order
      if (ctx.earliest_expiry != 0) note_expiry(ctx.earliest_expiry);
      return result;
    }
  }

  // tolerate_corrupt: report an undecodable record as live, never expiring,
  // with no value, so put/remove can replace or delete it.
  db_result<current> load(write_ctx& ctx, std::string_view key, bool want_value,
                          bool tolerate_corrupt = false) {
    MDB_val k = to_val(key), v{};
    int rc = mdb_get(ctx.txn, dbs_.items, &k, &v);
    current cur;
    if (rc == MDB_NOTFOUND) return cur;
    if (rc != 0) {
      ctx.rc = rc;
      return error_as<current>(failure(rc, "cannot read " + printable_key(key)));
    }
    auto rec = record::decode(from_val(v));
    cur.present = true;
    if (!rec) {
      if (!tolerate_corrupt) return error_as<current>(corrupt(key));
      cur.live = true;
      return cur;
    }
    cur.expires_ms = rec->expires_ms;
    cur.live = !record::expired(*rec, record::now_ms());
    if (want_value) cur.value = rec->value;
    return cur;
  }

  // Deletes the expiry index entry (expires_ms, key) if any; missing is fine.
  int unindex(write_ctx& ctx, std::string_view key, std::int64_t expires_ms) {
    if (expires_ms == 0) return 0;
    std::string ik = record::expiry_index_key(expires_ms);
    MDB_val k = to_val(ik), v = to_val(key);
    int rc = mdb_del(ctx.txn, dbs_.expiry, &k, &v);
    return rc == MDB_NOTFOUND ? 0 : rc;
  }

  db_result<std::uint64_t> store(write_ctx& ctx, std::string_view key, std::string_view value,
                                 std::int64_t expires_ms, std::int64_t old_expires_ms) {
    const std::uint64_t revision = ctx.revision + 1;
    std::string rec = record::encode(value, expires_ms, revision);
    MDB_val k = to_val(key), v = to_val(rec);
    int rc = mdb_put(ctx.txn, dbs_.items, &k, &v, 0);
    if (rc == 0) rc = unindex(ctx, key, old_expires_ms);
    if (rc == 0 && expires_ms != 0) {
      std::string ik = record::expiry_index_key(expires_ms);
      MDB_val ek = to_val(ik), ev = to_val(key);
      rc = mdb_put(ctx.txn, dbs_.expiry, &ek, &ev, 0);
      if (ctx.earliest_expiry == 0 || expires_ms < ctx.earliest_expiry) {
        ctx.earliest_expiry = expires_ms;
      }
    }
    if (rc != 0) {
      ctx.rc = rc;
      return error_as<std::uint64_t>(failure(rc, "cannot write " + printable_key(key)));
    }
    ctx.revision = revision;
    if (ctx.want_events) {
      event ev{event_type::put, item{std::string(key), std::string(value), std::nullopt, revision}};
      if (expires_ms != 0) ev.item.expires = record::from_ms(expires_ms);
      ctx.events.push_back(std::move(ev));
    }
    return revision;
  }

  db_status erase(write_ctx& ctx, std::string_view key, std::int64_t old_expires_ms) {
    MDB_val k = to_val(key);
    int rc = mdb_del(ctx.txn, dbs_.items, &k, nullptr);
    if (rc == 0) rc = unindex(ctx, key, old_expires_ms);
    if (rc != 0) {
      ctx.rc = rc;
      return failure(rc, "cannot remove " + printable_key(key));
    }
    ++ctx.revision;
    if (ctx.want_events) {
      ctx.events.push_back(
          event{event_type::remove, item{std::string(key), {}, std::nullopt, ctx.revision}});
    }
    return {};
  }

  // Called with write_mu_ held and no transaction of ours open.
  db_status grow() {
    std::unique_lock lock(resize_mu_);  // waits out in-flight reads
    MDB_envinfo info{};
    mdb_env_info(env_, &info);
    std::size_t next = info.me_mapsize * 2;
    if (int rc = mdb_env_set_mapsize(env_, next); rc != 0) {
      return failure(rc, "the database is full and its map cannot grow to " +
                             std::to_string(next >> 20) + " MiB");
    }
    return {};
  }

  // Another process grew the map; adopt its size.
  db_status adopt_map_size() {
    std::unique_lock lock(resize_mu_);
    if (int rc = mdb_env_set_mapsize(env_, 0); rc != 0) {
      return failure(rc, "cannot adopt the database's new map size");
    }
    return {};
  }

  void note_expiry(std::int64_t expires_ms) {
    {
      std::lock_guard lock(sweep_mu_);
      if (next_expiry_ms_ != 0 && next_expiry_ms_ <= expires_ms) return;
      next_expiry_ms_ = expires_ms;
    }
    sweep_cv_.notify_all();
  }

  // Earliest expiry in the index, 0 if none.
  db_result<std::int64_t> first_expiry(MDB_txn* txn) {
    lmdb::cursor cur;
    if (int rc = cur.open(txn, dbs_.expiry); rc != 0) {
      return error_as<std::int64_t>(failure(rc, "cannot read the expiry index"));
    }
    MDB_val k{}, v{};
    int rc = mdb_cursor_get(cur.get(), &k, &v, MDB_FIRST);
    if (rc == MDB_NOTFOUND) return std::int64_t{0};
    if (rc != 0) return error_as<std::int64_t>(failure(rc, "cannot read the expiry index"));
    return record::parse_expiry_index_key(from_val(k));
  }

  // Deletes up to sweep_batch expired items; returns the earliest remaining expiry.
  db_result<std::int64_t> sweep_batch() {
    return write<std::int64_t>([&](write_ctx& ctx) -> db_result<std::int64_t> {
      const auto now = record::now_ms();
      std::vector<std::pair<std::int64_t, std::string>> due;
      {
        lmdb::cursor cur;
        if (int rc = cur.open(ctx.txn, dbs_.expiry); rc != 0) {
          return error_as<std::int64_t>(failure(rc, "cannot read the expiry index"));
        }
        MDB_val k{}, v{};
        int rc = mdb_cursor_get(cur.get(), &k, &v, MDB_FIRST);
        for (; rc == 0 && due.size() < opts_.sweep_batch;
             rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT)) {
          auto ms = record::parse_expiry_index_key(from_val(k));
          if (ms > now) break;
          due.emplace_back(ms, std::string(from_val(v)));
        }
      }
      for (const auto& [ms, key] : due) {
        // A corrupt record loads as never expiring: only its index entry goes.
        auto cur = load(ctx, key, false, true);
        if (!cur) return error_as<std::int64_t>(cur);
        db_status s;
        if (cur->present && cur->expires_ms == ms) {
          s = erase(ctx, key, ms);
        } else if (int rc = unindex(ctx, key, ms); rc != 0) {  // stale entry
          ctx.rc = rc;
          s = failure(rc, "cannot clean the expiry index");
        }
        if (!s) return error_as<std::int64_t>(s);
      }
      return first_expiry(ctx.txn);
    });
  }

  // Removes everything expired; returns the earliest remaining expiry (0: none).
  std::int64_t sweep_expired() {
    auto next = read<std::int64_t>([&](MDB_txn* txn) { return first_expiry(txn); });
    while (next.ok() && *next != 0 && *next <= record::now_ms()) {
      {
        std::lock_guard lock(sweep_mu_);
        if (stop_) return 0;
      }
      next = sweep_batch();
    }
    // On an I/O error, try again after sweep_interval.
    return next.ok() ? *next : 0;
  }

  void sweep_loop() {
    std::unique_lock lock(sweep_mu_);
    while (!stop_) {
      next_expiry_ms_ = 0;  // writers lower it while we sweep
      lock.unlock();
      const std::int64_t next = sweep_expired();
      lock.lock();
      if (next != 0 && (next_expiry_ms_ == 0 || next < next_expiry_ms_)) next_expiry_ms_ = next;
      // Sleep until the earliest expiry or sweep_interval, whichever is first.
      const auto idle_until = std::chrono::steady_clock::now() + opts_.sweep_interval;
      while (!stop_) {
        const auto now_steady = std::chrono::steady_clock::now();
        if (now_steady >= idle_until) break;
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(idle_until - now_steady);
        if (next_expiry_ms_ != 0) {
          const auto until_expiry = next_expiry_ms_ - record::now_ms();
          if (until_expiry <= 0) break;
          wait = std::min(wait, std::chrono::milliseconds(until_expiry));
        }
        sweep_cv_.wait_for(lock, wait + std::chrono::milliseconds(1));
      }
    }
  }

  MDB_env* const env_;
  const dbis dbs_;
  const lmdb_options opts_;

  std::mutex write_mu_;          // one writer; also orders event publication
  std::shared_mutex resize_mu_;  // readers shared, map resize exclusive
  std::uint64_t revision_;       // guarded by write_mu_
  std::unique_ptr<lmdb::open_claim> claim_;
  std::shared_ptr<watch_hub> hub_;

  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stop_ = false;                // guarded by sweep_mu_
  std::int64_t next_expiry_ms_ = 0;  // guarded by sweep_mu_; 0 = none known
  std::thread sweeper_;
};

}  // namespace

namespace lmdb {

db_result<std::unique_ptr<backend>> make_backend(MDB_env* env, const dbis& dbs,
                                                 const lmdb_options& options,
                                                 std::uint64_t revision,
                                                 std::unique_ptr<open_claim> claim) {
  auto b = std::make_unique<lmdb_backend>(env, dbs, options, revision, std::move(claim));
  if (auto s = b->start(); !s) return error_as<std::unique_ptr<backend>>(s);
  return std::unique_ptr<backend>(std::move(b));
}

}  // namespace lmdb
}  // namespace tp::persistence
