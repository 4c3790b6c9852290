#include "persistence/watch_hub.hpp"

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <system_error>
#include <thread>

#include "persistence/key_path.hpp"

namespace tp::persistence {

struct watch_hub::watcher {
  std::string prefix;
  watch_callback callback;
  std::mutex mu;
  std::condition_variable cv;
  // Shared so one event fans out to many watchers without copying values.
  std::deque<std::shared_ptr<const event>> queue;
  bool stopping = false;
  bool overflowed = false;  // the overflow event is queued; accept nothing more
  std::thread thread;
};

namespace {

using watcher = watch_hub::watcher;

void run(const std::shared_ptr<watcher>& w) {
  for (;;) {
    std::shared_ptr<const event> ev;
    {
      std::unique_lock lock(w->mu);
      w->cv.wait(lock, [&] { return w->stopping || !w->queue.empty(); });
      if (w->stopping) return;
      ev = std::move(w->queue.front());
      w->queue.pop_front();
    }
    try {
      w->callback(*ev);
    } catch (...) {
      // Documented: a throwing callback loses that one event, nothing else.
    }
    if (ev->type == event_type::overflow) return;
  }
}

// Safe to call from any thread, any number of times, including from inside
// the watcher's own callback (then the thread is detached, not joined).
void stop(const std::shared_ptr<watcher>& w) {
  std::thread t;
  {
    std::lock_guard lock(w->mu);
    w->stopping = true;
    t = std::move(w->thread);
  }
  w->cv.notify_all();
  if (!t.joinable()) return;
  if (t.get_id() == std::this_thread::get_id()) {
    t.detach();  // the thread holds its own reference to *w
  } else {
    t.join();
  }
}

}  // namespace

std::shared_ptr<watch_hub> watch_hub::make(std::size_t queue_capacity) {
  assert(queue_capacity > 0);
  return std::shared_ptr<watch_hub>(new watch_hub(queue_capacity));
}

watch_hub::~watch_hub() {
  close();
}

db_result<watch_handle> watch_hub::subscribe(std::string prefix, watch_callback callback) {
  auto w = std::make_shared<watcher>();
  w->prefix = std::move(prefix);
  w->callback = std::move(callback);
  {
    std::lock_guard lock(mu_);
    if (closed_) return {error_kind::io, "cannot watch: the backend is closed"};
    try {
      std::lock_guard wlock(w->mu);
      w->thread = std::thread([w] { run(w); });
    } catch (const std::system_error& e) {
      return {error_kind::io, std::string("cannot start a watch thread: ") + e.what()};
    }
    watchers_.push_back(w);
  }
  std::weak_ptr<watch_hub> weak = weak_from_this();
  return watch_handle([weak, w] {
    if (auto hub = weak.lock()) hub->forget(w);
    stop(w);
  });
}

void watch_hub::forget(const std::shared_ptr<watcher>& w) {
  std::lock_guard lock(mu_);
  std::erase(watchers_, w);
}

void watch_hub::publish(std::vector<event> events) {
  std::lock_guard lock(mu_);
  if (events.empty() || watchers_.empty()) return;
  std::vector<std::shared_ptr<const event>> shared;
  shared.reserve(events.size());
  for (auto& ev : events) shared.push_back(std::make_shared<const event>(std::move(ev)));

  for (const auto& w : watchers_) {
    bool wake = false;
    {
      std::lock_guard wlock(w->mu);
      for (const auto& ev : shared) {
        if (w->stopping || w->overflowed) break;
        if (!in_prefix(ev->item.key, w->prefix)) continue;
        if (w->queue.size() >= capacity_) {
          // Too far behind: deliver what is queued, then tell it to resync.
          // It stays listed (inert) until its handle is reset, so close()
          // still joins its thread.
          event overflow;
          overflow.type = event_type::overflow;
          overflow.item.key = w->prefix;
          w->queue.push_back(std::make_shared<const event>(std::move(overflow)));
          w->overflowed = true;
        } else {
          w->queue.push_back(ev);
        }
        wake = true;
      }
    }
    if (wake) w->cv.notify_one();
  }
}

void watch_hub::close() {
  std::vector<std::shared_ptr<watcher>> all;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    all.swap(watchers_);
  }
  for (const auto& w : all) stop(w);
}

std::size_t watch_hub::watcher_count() const {
  std::lock_guard lock(mu_);
  return watchers_.size();
}

}  // namespace tp::persistence
