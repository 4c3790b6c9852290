// Fans committed changes out to watchers. Each watcher owns a thread and a
// bounded queue, so a slow callback delays only itself and never a writer.
// Backend-independent: any backend publishes its committed events here.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "persistence/backend.hpp"

namespace tp::persistence {

class watch_hub : public std::enable_shared_from_this<watch_hub> {
 public:
  struct watcher;

  // queue_capacity: events a watcher may lag behind before it is closed with
  // event_type::overflow. Must be > 0.
  static std::shared_ptr<watch_hub> make(std::size_t queue_capacity);
  ~watch_hub();
  watch_hub(const watch_hub&) = delete;
  watch_hub& operator=(const watch_hub&) = delete;

  // prefix must already be validated. io error if the hub is closed or no
  // thread could be started.
  db_result<watch_handle> subscribe(std::string prefix, watch_callback callback);

  // Queues events, in order, for every watcher whose prefix matches. Never
  // blocks on a watcher; callers serialize publish() to keep commit order.
  void publish(std::vector<event> events);

  // Stops every watcher and joins its thread. Idempotent.
  void close();

  std::size_t watcher_count() const;

 private:
  explicit watch_hub(std::size_t queue_capacity) : capacity_(queue_capacity) {}
  void forget(const std::shared_ptr<watcher>& w);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  bool closed_ = false;
  std::vector<std::shared_ptr<watcher>> watchers_;
};

}  // namespace tp::persistence
