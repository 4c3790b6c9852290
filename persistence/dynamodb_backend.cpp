#include "persistence/dynamodb_backend.hpp"

#include "persistence/dynamodb_json.hpp"
#include "persistence/dynamodb_log.hpp"
#include "persistence/key_path.hpp"
#include "persistence/record.hpp"
#include "persistence/watch_hub.hpp"

namespace tp::persistence {
namespace {

using namespace dynamodb_json;

constexpr int max_attempts = 16;  // compare-and-swap rounds lost to other writers

std::string not_found_text(std::string_view key) {
  return "key " + printable_key(key) + " not found";
}

bool live(const item& it, std::int64_t now_ms) {
  return !it.expires || record::to_ms(*it.expires) > now_ms;
}

class dynamodb_backend final : public backend, private dynamodb_log::sink {
 public:
  dynamodb_backend(std::shared_ptr<dynamodb_gateway> gw, dynamodb_options opts)
      : client_(std::move(gw), opts),
        opts_(std::move(opts)),
        hub_(watch_hub::make(opts_.watch_queue_capacity)),
        log_(client_, *this, opts_) {}

  ~dynamodb_backend() override {
    log_.stop();    // the tailer thread: it may sweep through client_
    hub_->close();  // joins watcher threads; their callbacks may still use us
  }

  db_result<std::uint64_t> check() { return client_.counter(); }

  db_result<item> get(std::string_view key) override {
    if (auto s = validate_key(key); !s) return error_as<item>(s);
    auto raw = client_.get_raw(key);
    if (!raw) return raw;
    if (!live(*raw, record::now_ms())) return {error_kind::not_found, not_found_text(key)};
    return raw;
  }

  db_result<std::uint64_t> put(std::string_view key, std::string_view value, ttl_ms ttl) override {
    if (auto s = validate_key(key); !s) return error_as<std::uint64_t>(s);
    auto expires = record::expiry_of(ttl);
    if (!expires) return error_as<std::uint64_t>(expires);
    return write(key, value, *expires, /*create_only=*/false);
  }

  db_result<std::uint64_t> create(std::string_view key, std::string_view value,
                                  ttl_ms ttl) override {
    if (auto s = validate_key(key); !s) return error_as<std::uint64_t>(s);
    auto expires = record::expiry_of(ttl);
    if (!expires) return error_as<std::uint64_t>(expires);
    return write(key, value, *expires, /*create_only=*/true);
  }

  db_result<std::uint64_t> compare_and_swap(std::string_view key, std::string_view expected,
                                            std::string_view value, ttl_ms ttl) override {
    if (auto s = validate_key(key); !s) return error_as<std::uint64_t>(s);
    auto expires = record::expiry_of(ttl);
    if (!expires) return error_as<std::uint64_t>(expires);
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
      auto cur = get(key);
      if (auto held = holds_expected(cur, key, expected); !held) {
        return error_as<std::uint64_t>(held);
      }
      auto rev = client_.next_revision();
      if (!rev) return rev;
      auto w = client_.put_item(key, value, *expires, *rev, "Rev = :cur",
                                {{":cur", n(static_cast<std::int64_t>(cur->revision))}});
      if (w) {
        log_.append_put(*rev, key, value, *expires);
        return *rev;
      }
      log_.append_none(*rev);
      if (!w.is(error_kind::compare_failed)) return error_as<std::uint64_t>(w);
    }
    return {error_kind::io,
            "compare and swap of " + printable_key(key) + ": too many concurrent writers"};
  }

  db_status remove(std::string_view key) override {
    if (auto s = validate_key(key); !s) return s;
    auto rev = client_.next_revision();
    if (!rev) return error_as<void>(rev);
    auto old = client_.delete_item(key, "attribute_exists(Rev) AND Rev < :rev",
                                   {{":rev", n(static_cast<std::int64_t>(*rev))}});
    if (old) {
      log_.append_remove(*rev, key);
      if (!live(*old, record::now_ms())) return {error_kind::not_found, not_found_text(key)};
      return {};
    }
    if (!old.is(error_kind::compare_failed)) {
      log_.append_none(*rev);
      return error_as<void>(old);
    }
    // Absent, or a newer write (after this remove in revision order) is there already.
    auto now = client_.get_raw(key);
    if (now) {
      log_.append_remove(*rev, key);
      return {};
    }
    log_.append_none(*rev);
    if (now.is(error_kind::not_found)) return {error_kind::not_found, not_found_text(key)};
    return error_as<void>(now);
  }

  db_result<std::vector<item>> get_range(std::string_view prefix, std::size_t limit) override {
    using out_t = std::vector<item>;
    if (auto s = validate_prefix(prefix); !s) return error_as<out_t>(s);
    out_t out;
    if (limit == 0) return out;
    const auto now = record::now_ms();
    auto st = client_.query_items(prefix, [&](db_result<item> it) {
      if (!it) {
        if (opts_.on_skipped) opts_.on_skipped(it.message());
        return true;
      }
      if (!in_prefix(it->key, prefix) || !live(*it, now)) return true;
      out.push_back(std::move(*it));
      return out.size() < limit;
    });
    if (!st) return error_as<out_t>(st);
    return out;
  }

  db_result<std::size_t> remove_range(std::string_view prefix) override {
    if (auto s = validate_prefix(prefix); !s) return error_as<std::size_t>(s);
    std::vector<item> found;
    auto st = client_.query_items(prefix, [&](db_result<item> it) {
      if (it && in_prefix(it->key, prefix)) found.push_back(std::move(*it));
      return true;
    });
    if (!st) return error_as<std::size_t>(st);
    const auto now = record::now_ms();
    std::size_t removed = 0;
    for (const auto& it : found) {
      auto gone = log_.delete_version(it.key, it.revision);
      if (!gone) return error_as<std::size_t>(gone);
      if (*gone && live(it, now)) ++removed;
    }
    return removed;
  }

  db_status put_batch(const std::vector<item>& items) override {
    for (const auto& it : items) {
      if (auto s = validate_key(it.key); !s) return s;
    }
    for (const auto& it : items) {
      auto w = write(it.key, it.value, it.expires ? record::to_ms(*it.expires) : 0, false);
      if (!w) return error_as<void>(w);
    }
    return {};
  }

  db_result<watch_handle> watch(std::string_view prefix, watch_callback callback) override {
    if (auto s = validate_prefix(prefix); !s) return error_as<watch_handle>(s);
    if (!callback) return {error_kind::bad_parameter, "watch callback is empty"};
    // Everything committed before watch() returns has at most this revision.
    auto current = client_.counter();
    if (!current) return error_as<watch_handle>(current);
    if (auto st = log_.start(*current); !st) return error_as<watch_handle>(st);
    return hub_->subscribe(std::string(prefix),
                           [after = *current, cb = std::move(callback)](const event& e) {
                             if (e.type == event_type::overflow || e.item.revision > after) cb(e);
                           });
  }

 private:
  // dynamodb_log::sink: changes read from the log, in revision order.
  void deliver(std::vector<event> events) override { hub_->publish(std::move(events)); }

  db_result<std::uint64_t> write(std::string_view key, std::string_view value,
                                 std::int64_t expires_ms, bool create_only) {
    auto rev = client_.next_revision();
    if (!rev) return rev;
    const auto r = n(static_cast<std::int64_t>(*rev));
    // Never replace a newer revision: writes that raced land in revision order.
    auto w = create_only
                 ? client_.put_item(key, value, expires_ms, *rev,
                                    "attribute_not_exists(Rev) OR (ExpiresMs > :zero AND "
                                    "ExpiresMs <= :now AND Rev < :rev)",
                                    {{":rev", r}, {":zero", n(0)}, {":now", n(record::now_ms())}})
                 : client_.put_item(key, value, expires_ms, *rev,
                                    "attribute_not_exists(Rev) OR Rev < :rev", {{":rev", r}});
    if (!w) {
      if (!create_only && w.is(error_kind::compare_failed)) {
        // A newer write landed first: this one is ordered before it and overwritten.
        log_.append_put(*rev, key, value, expires_ms);
        return *rev;
      }
      log_.append_none(*rev);
      if (w.is(error_kind::compare_failed)) {
        return {error_kind::already_exists, "key " + printable_key(key) + " already exists"};
      }
      return error_as<std::uint64_t>(w);
    }
    log_.append_put(*rev, key, value, expires_ms);
    return *rev;
  }

  dynamodb_client client_;
  dynamodb_options opts_;
  std::shared_ptr<watch_hub> hub_;
  dynamodb_log log_;
};

}  // namespace

db_result<std::unique_ptr<backend>> open_dynamodb_backend(std::shared_ptr<dynamodb_gateway> gateway,
                                                          const dynamodb_options& options) {
  using out_t = std::unique_ptr<backend>;
  if (!gateway) return {error_kind::bad_parameter, "no DynamoDB gateway"};
  if (options.table_name.empty()) return {error_kind::bad_parameter, "no DynamoDB table name"};
  if (options.watch_queue_capacity == 0) {
    return {error_kind::bad_parameter, "watch_queue_capacity must be positive"};
  }
  {
    dynamodb_client probe(gateway, options);
    if (auto st = probe.ensure_table(); !st) return error_as<out_t>(st);
  }
  auto b = std::make_unique<dynamodb_backend>(std::move(gateway), options);
  if (auto rev = b->check(); !rev) return error_as<out_t>(rev);
  return out_t(std::move(b));
}

}  // namespace tp::persistence
