// The storage interface every cluster-state backend implements (LMDB embedded
// default, etcd for HA). Keys are '/'-separated paths, values opaque bytes
// (JSON by convention), items may carry an expiry.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/result.hpp"

namespace tp::persistence {

// Why an operation failed, so callers can branch (retry a CAS, create on
// not_found...). The tp::error message says the same thing in words.
enum class error_kind {
  none,  // no error (the value of kind() on success)
  not_found,
  already_exists,
  compare_failed,
  bad_parameter,
  io,  // the store itself failed (disk, LMDB, network); the operation did nothing
};

const char* to_string(error_kind kind) noexcept;

// A tp::result<T> that also remembers the error_kind. It *is* a tp::result<T>,
// so it can be handed to code that only wants ok()/message().
template <class T>
class [[nodiscard]] db_result : public tp::result<T> {
 public:
  using tp::result<T>::result;
  db_result() = default;  // success, for db_result<void>
  db_result(error_kind kind, std::string message)
      : tp::result<T>(tp::make_error(std::move(message))), kind_(kind) {}

  error_kind kind() const noexcept { return this->ok() ? error_kind::none : kind_; }
  bool is(error_kind kind) const noexcept { return this->kind() == kind; }

 private:
  error_kind kind_ = error_kind::io;
};

using db_status = db_result<void>;

// Re-types a failed result, keeping kind and message: `return error_as<int>(s);`
template <class R, class U>
db_result<R> error_as(const db_result<U>& failed) {
  return {failed.kind(), failed.message()};
}

using clock = std::chrono::system_clock;
// Time to live; nullopt means the item never expires. A present TTL must be > 0.
using ttl_ms = std::optional<std::chrono::milliseconds>;
inline constexpr std::nullopt_t no_ttl = std::nullopt;
inline constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

struct item {
  std::string key;
  std::string value;
  std::optional<clock::time_point> expires;  // millisecond precision
  // Increases with every write to the backend; identifies this version of the item.
  std::uint64_t revision = 0;
};

enum class event_type {
  put,
  remove,  // explicit remove, remove_range, or TTL expiry
  // The watcher fell more than its queue capacity behind; it has been closed
  // and receives nothing more. Re-read the state you care about and watch again.
  overflow,
};

struct event {
  event_type type = event_type::put;
  persistence::item item;  // for remove: key and revision only
};

using watch_callback = std::function<void(const event&)>;

// Keeps a watch subscription alive; destroying (or reset()ing) it unsubscribes.
// After reset() returns, the callback is not running and will not be called
// again (unless reset() is called from inside the callback itself, in which
// case it returns at once and the callback is simply not called again).
class watch_handle {
 public:
  watch_handle() = default;
  explicit watch_handle(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  watch_handle(watch_handle&& other) noexcept : cancel_(std::exchange(other.cancel_, {})) {}
  watch_handle& operator=(watch_handle&& other) noexcept {
    if (this != &other) {
      reset();
      cancel_ = std::exchange(other.cancel_, {});
    }
    return *this;
  }
  watch_handle(const watch_handle&) = delete;
  watch_handle& operator=(const watch_handle&) = delete;
  ~watch_handle() { reset(); }

  void reset() {
    if (auto cancel = std::exchange(cancel_, {})) cancel();
  }
  bool active() const noexcept { return static_cast<bool>(cancel_); }

 private:
  std::function<void()> cancel_;
};

// Prefix semantics (get_range, remove_range, watch): a prefix names a subtree.
// "/nodes" matches "/nodes" itself and "/nodes/..." but never "/nodesX"; a
// prefix ending in '/' ("/nodes/") matches keys that start with it; "/" matches
// everything. See key_path.hpp.
//
// All methods are safe to call concurrently from any number of threads.
// Reads never see an expired item, whether or not it has been swept yet.
class backend {
 public:
  virtual ~backend() = default;

  // not_found if absent or expired.
  virtual db_result<item> get(std::string_view key) = 0;

  // Create or overwrite. Returns the new revision.
  virtual db_result<std::uint64_t> put(std::string_view key, std::string_view value,
                                       ttl_ms ttl = no_ttl) = 0;

  // Write only if the key is absent (an expired item counts as absent);
  // already_exists otherwise.
  virtual db_result<std::uint64_t> create(std::string_view key, std::string_view value,
                                          ttl_ms ttl = no_ttl) = 0;

  // Replace the value only if the current value equals expected_value byte
  // for byte: not_found if absent/expired, compare_failed if it differs.
  virtual db_result<std::uint64_t> compare_and_swap(std::string_view key,
                                                    std::string_view expected_value,
                                                    std::string_view new_value,
                                                    ttl_ms ttl = no_ttl) = 0;

  // not_found if absent or expired.
  virtual db_status remove(std::string_view key) = 0;

  // Live items under prefix, sorted by key (bytewise), at most limit of them.
  virtual db_result<std::vector<item>> get_range(std::string_view prefix,
                                                 std::size_t limit = no_limit) = 0;

  // Removes every item under prefix in one transaction; returns how many.
  virtual db_result<std::size_t> remove_range(std::string_view prefix) = 0;

  // Writes all items (key, value, expires; revision is ignored) in one durable
  // transaction: all or nothing. Any invalid item fails the whole batch.
  virtual db_status put_batch(const std::vector<item>& items) = 0;

  // Calls callback for each change under prefix committed after watch()
  // returns, in commit order. Callbacks run on a thread owned by the watch
  // (one per watch), never on the writer's thread and never while the backend
  // holds a lock or transaction, so they may call back into the backend.
  // Writers never wait for watchers: each watch has a bounded queue, and a
  // watch that falls queue-capacity events behind gets event_type::overflow
  // and is closed. Exceptions thrown by the callback are swallowed.
  virtual db_result<watch_handle> watch(std::string_view prefix, watch_callback callback) = 0;
};

}  // namespace tp::persistence
