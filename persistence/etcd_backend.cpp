#include "persistence/etcd_backend.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "persistence/etcd_json.hpp"
#include "persistence/key_path.hpp"
#include "persistence/record.hpp"
#include "persistence/watch_hub.hpp"

namespace tp::persistence {
namespace {

using json = nlohmann::json;
using namespace etcd_json;

constexpr int max_attempts = 8;  // create / compare_and_swap under contention

std::string not_found_text(std::string_view key) {
  return "key " + printable_key(key) + " not found";
}

// One running etcd watch stream, feeding its own hub (bounded queue, own callback
// thread, overflow): the reader never waits for the callback.
struct watch_stream {
  std::atomic<bool> stop{false};
  std::shared_ptr<watch_hub> hub;
  std::mutex mu;
  std::thread reader;

  void finish() {
    stop = true;
    std::thread t;
    {
      std::lock_guard lock(mu);
      t = std::move(reader);
    }
    if (t.joinable()) t.join();
    hub->close();  // safe from inside the callback: the hub then detaches its thread
  }
};

// Runs one etcd watch from revision `next` on, resuming after the last event it saw
// when the stream breaks, until the watch is finished.
void read_watch(etcd_gateway& gw, const key_space& keys, const std::string& prefix,
                std::uint64_t next, watch_stream& ws, std::chrono::milliseconds retry) {
  const auto [from, to] = keys.span(prefix);
  while (!ws.stop) {
    const json create{
        {"create_request",
         {{"key", b64(from)}, {"range_end", b64(to)}, {"start_revision", std::to_string(next)}}}};
    std::string pending;
    bool compacted = false;
    (void)gw.stream(
        "/v3/watch", create.dump(),
        [&](std::string_view data) {
          pending.append(data);
          for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
            auto batch = parse_watch_line(std::string_view(pending).substr(0, nl), keys, prefix);
            pending.erase(0, nl + 1);
            if (!batch) return false;  // reconnect from `next`
            if (batch->compacted) {
              compacted = true;
              return false;
            }
            if (batch->next_revision != 0) next = batch->next_revision;
            ws.hub->publish(std::move(batch->events));
          }
          return pending.size() < (std::size_t{64} << 20);
        },
        ws.stop);
    if (compacted) {
      // The revisions we missed are gone: the watcher must re-read and watch again.
      event overflow;
      overflow.type = event_type::overflow;
      overflow.item.key = prefix;
      ws.hub->publish({std::move(overflow)});
      return;
    }
    const auto until = std::chrono::steady_clock::now() + retry;
    while (!ws.stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
  }
}

class etcd_backend final : public backend {
 public:
  etcd_backend(std::shared_ptr<etcd_gateway> gw, etcd_options opts)
      : gw_(std::move(gw)), opts_(std::move(opts)), keys_(opts_.prefix) {}
  etcd_backend(const etcd_backend&) = delete;
  etcd_backend& operator=(const etcd_backend&) = delete;

  ~etcd_backend() override {
    std::vector<std::shared_ptr<watch_stream>> all;
    {
      std::lock_guard lock(watches_mu_);
      for (auto& w : watches_) {
        if (auto s = w.lock()) all.push_back(std::move(s));
      }
    }
    for (auto& s : all) s->finish();
  }

  // Reads the revision etcd is at: proves it answers.
  db_result<std::uint64_t> current_revision(std::string_view prefix) {
    const auto [from, to] = keys_.span(prefix);
    auto r =
        rpc("/v3/kv/range", {{"key", b64(from)}, {"range_end", b64(to)}, {"count_only", true}});
    if (!r) return error_as<std::uint64_t>(r);
    return header_revision(*r);
  }

  db_result<item> get(std::string_view key) override {
    if (auto s = validate_key(key); !s) return error_as<item>(s);
    auto r = rpc("/v3/kv/range", {{"key", b64(keys_.of(key))}});
    if (!r) return error_as<item>(r);
    auto kv = first_kv(*r);
    if (!kv) return {error_kind::not_found, not_found_text(key)};
    auto it = decode_kv(*kv, keys_);
    if (!it) return it;
    if (is_expired(*it)) return {error_kind::not_found, not_found_text(key)};
    return it;
  }

  db_result<std::uint64_t> put(std::string_view key, std::string_view value, ttl_ms ttl) override {
    if (auto s = validate_key(key); !s) return error_as<std::uint64_t>(s);
    auto op = put_op(key, value, ttl);
    if (!op) return error_as<std::uint64_t>(op);
    auto r = rpc("/v3/kv/put", *op);
    if (!r) return error_as<std::uint64_t>(r);
    return header_revision(*r);
  }

  db_result<std::uint64_t> create(std::string_view key, std::string_view value,
                                  ttl_ms ttl) override {
    if (auto s = validate_key(key); !s) return error_as<std::uint64_t>(s);
    auto op = put_op(key, value, ttl);
    if (!op) return error_as<std::uint64_t>(op);
    const std::string k = b64(keys_.of(key));
    // Absent: etcd never created it. Present but expired (its lease not reclaimed yet):
    // replace exactly that version.
    json compare = compare_created(k, 0);
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
      auto r = txn(compare, *op, k);
      if (!r) return error_as<std::uint64_t>(r);
      if (r->value("succeeded", false)) return header_revision(*r);
      auto kv = range_in_failure(*r);
      if (!kv) continue;  // deleted meanwhile: try the plain create again
      auto it = decode_kv(*kv, keys_);
      if (!it) return error_as<std::uint64_t>(it);
      if (!is_expired(*it)) {
        return {error_kind::already_exists, "key " + printable_key(key) + " already exists"};
      }
      compare = compare_mod(k, it->revision);
    }
    return {error_kind::io, "creating " + printable_key(key) + ": too many concurrent writers"};
  }

  db_result<std::uint64_t> compare_and_swap(std::string_view key, std::string_view expected,
                                            std::string_view value, ttl_ms ttl) override {
    if (auto s = validate_key(key); !s) return error_as<std::uint64_t>(s);
    auto op = put_op(key, value, ttl);
    if (!op) return error_as<std::uint64_t>(op);
    const std::string k = b64(keys_.of(key));
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
      auto cur = get(key);
      if (auto held = holds_expected(cur, key, expected); !held) {
        return error_as<std::uint64_t>(held);
      }
      auto r = txn(compare_mod(k, cur->revision), *op, k);
      if (!r) return error_as<std::uint64_t>(r);
      if (r->value("succeeded", false)) return header_revision(*r);
    }
    return {error_kind::io,
            "compare and swap of " + printable_key(key) + ": too many concurrent writers"};
  }

  db_status remove(std::string_view key) override {
    if (auto s = validate_key(key); !s) return s;
    auto r = rpc("/v3/kv/deleterange", {{"key", b64(keys_.of(key))}, {"prev_kv", true}});
    if (!r) return error_as<void>(r);
    std::size_t live = 0;
    if (auto st = count_live(*r, live); !st) return st;
    if (live == 0) return {error_kind::not_found, not_found_text(key)};
    return {};
  }

  db_result<std::vector<item>> get_range(std::string_view prefix, std::size_t limit) override {
    using out_t = std::vector<item>;
    if (auto s = validate_prefix(prefix); !s) return error_as<out_t>(s);
    const auto [from, to] = keys_.span(prefix);
    auto r = rpc("/v3/kv/range", {{"key", b64(from)}, {"range_end", b64(to)}});
    if (!r) return error_as<out_t>(r);
    out_t out;
    auto kvs = r->find("kvs");
    if (kvs == r->end() || !kvs->is_array()) return out;
    for (const auto& kv : *kvs) {
      if (out.size() >= limit) break;
      auto it = decode_kv(kv, keys_);
      if (!it) {
        if (opts_.on_skipped) opts_.on_skipped(it.message());
        continue;
      }
      if (!in_prefix(it->key, prefix) || is_expired(*it)) continue;
      out.push_back(std::move(*it));
    }
    return out;
  }

  db_result<std::size_t> remove_range(std::string_view prefix) override {
    if (auto s = validate_prefix(prefix); !s) return error_as<std::size_t>(s);
    json ops = json::array();
    for (const auto& [from, to] : keys_.subtree(prefix)) {
      json del{{"key", b64(from)}, {"prev_kv", true}};
      if (!to.empty()) del["range_end"] = b64(to);
      ops.push_back({{"request_delete_range", std::move(del)}});
    }
    auto r = rpc("/v3/kv/txn", {{"success", std::move(ops)}});
    if (!r) return error_as<std::size_t>(r);
    std::size_t live = 0;
    if (auto rs = r->find("responses"); rs != r->end() && rs->is_array()) {
      for (const auto& one : *rs) {
        if (auto d = one.find("response_delete_range"); d != one.end()) {
          if (auto st = count_live(*d, live); !st) return error_as<std::size_t>(st);
        }
      }
    }
    return live;
  }

  db_status put_batch(const std::vector<item>& items) override {
    if (items.size() > etcd_max_batch) {
      return {error_kind::bad_parameter, "a batch of " + std::to_string(items.size()) +
                                             " items is more than etcd takes in one "
                                             "transaction (" +
                                             std::to_string(etcd_max_batch) + ")"};
    }
    // etcd refuses a key twice in one transaction; the last write wins, as elsewhere.
    std::map<std::string_view, std::size_t> last;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (auto s = validate_key(items[i].key); !s) return s;
      last[items[i].key] = i;
    }
    json ops = json::array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const item* it = &items[i];
      const std::string_view key = it->key;
      if (last[key] != i) continue;
      // An item that already expired is written (as LMDB does) but never visible.
      auto op = put_op_until(key, it->value, it->expires ? record::to_ms(*it->expires) : 0);
      if (!op) return error_as<void>(op);
      ops.push_back({{"request_put", std::move(*op)}});
    }
    auto r = rpc("/v3/kv/txn", {{"success", std::move(ops)}});
    if (!r) return error_as<void>(r);
    return {};
  }

  db_result<watch_handle> watch(std::string_view prefix, watch_callback callback) override {
    if (auto s = validate_prefix(prefix); !s) return error_as<watch_handle>(s);
    if (!callback) return {error_kind::bad_parameter, "watch callback is empty"};
    // Everything committed before watch() returns has at most this revision.
    auto rev = current_revision(prefix);
    if (!rev) return error_as<watch_handle>(rev);
    auto ws = std::make_shared<watch_stream>();
    ws->hub = watch_hub::make(opts_.watch_queue_capacity);
    auto sub = ws->hub->subscribe(std::string(prefix), std::move(callback));
    if (!sub) return sub;
    try {
      std::lock_guard lock(ws->mu);
      ws->reader =
          std::thread([gw = gw_, keys = keys_, p = std::string(prefix), next = *rev + 1, ws,
                       retry = opts_.watch_retry] { read_watch(*gw, keys, p, next, *ws, retry); });
    } catch (const std::system_error& e) {
      return {error_kind::io, std::string("cannot start a watch thread: ") + e.what()};
    }
    {
      std::lock_guard lock(watches_mu_);
      std::erase_if(watches_, [](const auto& w) { return w.expired(); });
      watches_.push_back(ws);
    }
    auto inner = std::make_shared<watch_handle>(std::move(*sub));
    return watch_handle([ws, inner] {
      inner->reset();
      ws->finish();
    });
  }

 private:
  // One gateway call: the reply as JSON, or io with the gateway's reason.
  db_result<json> rpc(std::string_view path, const json& body) {
    auto r = gw_->call(path, body.dump());
    if (!r) return {error_kind::io, r.message()};
    auto j = json::parse(*r, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      return {error_kind::io, gw_->name() + " sent a malformed answer to " + std::string(path)};
    }
    return j;
  }

  // A txn comparing `compare`, putting `put` on success and reading key `k` otherwise.
  db_result<json> txn(const json& compare, const json& put, const std::string& k) {
    return rpc("/v3/kv/txn", {{"compare", json::array({compare})},
                              {"success", json::array({{{"request_put", put}}})},
                              {"failure", json::array({{{"request_range", {{"key", k}}}}})}});
  }

  // The body of a put of our record, with a lease when the item expires.
  db_result<json> put_op(std::string_view key, std::string_view value, ttl_ms ttl) {
    auto expires = record::expiry_of(ttl);
    if (!expires) return error_as<json>(expires);
    return put_op_until(key, value, *expires);
  }
  db_result<json> put_op_until(std::string_view key, std::string_view value,
                               std::int64_t expires_ms) {
    json op{{"key", b64(keys_.of(key))}, {"value", b64(record::encode(value, expires_ms, 0))}};
    if (expires_ms != 0) {
      const auto left = std::max<std::int64_t>(expires_ms - record::now_ms(), 1);
      auto lease =
          rpc("/v3/lease/grant", {{"TTL", lease_seconds(std::chrono::milliseconds{left})}});
      if (!lease) return error_as<json>(lease);
      const auto id = number_of(*lease, "ID");
      if (id == 0) return {error_kind::io, gw_->name() + " granted no lease"};
      op["lease"] = std::to_string(id);
    }
    return op;
  }

  db_status count_live(const json& reply, std::size_t& live) {
    auto prev = reply.find("prev_kvs");
    if (prev == reply.end() || !prev->is_array()) return {};
    for (const auto& kv : *prev) {
      auto it = decode_kv(kv, keys_);
      // A damaged record is gone now either way; it counted as present.
      if (!it || !is_expired(*it)) ++live;
    }
    return {};
  }

  std::shared_ptr<etcd_gateway> gw_;
  etcd_options opts_;
  key_space keys_;
  std::mutex watches_mu_;
  std::vector<std::weak_ptr<watch_stream>> watches_;
};

}  // namespace

db_result<std::unique_ptr<backend>> open_etcd_backend(std::shared_ptr<etcd_gateway> gateway,
                                                      const etcd_options& options) {
  using out_t = std::unique_ptr<backend>;
  if (!gateway) return {error_kind::bad_parameter, "no etcd gateway"};
  auto prefix = normalize_prefix(options.prefix);
  if (!prefix) return error_as<out_t>(prefix);
  if (options.watch_queue_capacity == 0) {
    return {error_kind::bad_parameter, "watch_queue_capacity must be positive"};
  }
  etcd_options o = options;
  o.prefix = std::move(*prefix);
  auto b = std::make_unique<etcd_backend>(std::move(gateway), std::move(o));
  if (auto rev = b->current_revision("/"); !rev) return error_as<out_t>(rev);
  return out_t(std::move(b));
}

}  // namespace tp::persistence
