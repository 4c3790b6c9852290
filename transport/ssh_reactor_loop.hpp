// One I/O thread running a libssh event loop (ssh_event). libssh sessions added to a
// loop stay on it; everything touching them runs on that thread.
//
// Per round the loop: polls (ssh_event_dopoll, with a timeout from the nearest timer),
// then runs posted tasks, fd callbacks, due timers and after-poll hooks -- all outside
// libssh's callbacks, so they may call any libssh function.
//
// libssh's own callbacks (session/channel callbacks set by ssh_server) run inside the
// poll, where a blocking libssh call deadlocks and changing the poll set corrupts it.
// Code there must hold a callback_scope; watch/set_events/unwatch called while one is
// held (or while polling) are applied after the poll returns. libssh calls made from
// loop code may poll the event again (non-blocking) and so dispatch such callbacks;
// that is why callbacks only record and fd callbacks are deferred to the round's end.
//
// Thread safety: post() and in_loop_thread() from any thread; everything else on the
// loop's thread only (asserted).
#pragma once

#include <libssh/libssh.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "messages/result.hpp"
#include "transport/ssh_reactor_fd.hpp"

namespace tp::transport {

class reactor_loop {
 public:
  using task = std::function<void()>;
  using fd_callback = std::function<void(short revents)>;
  using watch_id = std::uint64_t;
  using timer_id = std::uint64_t;
  using hook_id = std::uint64_t;
  using clock = std::chrono::steady_clock;

  // Creates the event and its wake-up eventfd; the thread starts with start().
  static result<std::unique_ptr<reactor_loop>> create(std::size_t index, std::string name);
  ~reactor_loop();  // stop()
  reactor_loop(const reactor_loop&) = delete;
  reactor_loop& operator=(const reactor_loop&) = delete;

  void start();
  // Ends the loop after the current round and joins the thread. Tasks still queued are
  // dropped (destroyed on the caller's thread). Must not be called on the loop thread.
  void stop();

  // Any thread. Queues `t` for the loop thread and wakes it. False (t dropped) once the
  // loop is stopping.
  bool post(task t);
  // Any thread except the loop's own: runs `t` on the loop thread and waits for it.
  // False if the loop is stopped (t did not run).
  bool run_and_wait(task t);
  bool in_loop_thread() const;
  std::size_t index() const { return index_; }
  const std::string& name() const { return name_; }

  // ---- loop thread only ----
  ssh_event event() const { return event_; }

  // Calls `cb(revents)` after a round in which `fd` polled ready for `events` (POLLIN,
  // POLLOUT; POLLERR/POLLHUP are always reported). Level-triggered: a callback that
  // leaves data unread is called again next round, so pause with set_events(id, 0). One
  // watch per fd. The fd must stay open until unwatch().
  result<watch_id> watch(int fd, short events, fd_callback cb);
  void set_events(watch_id id, short events);
  short events(watch_id id) const;
  void unwatch(watch_id id);

  timer_id schedule(std::chrono::milliseconds delay, task t);
  void cancel(timer_id id);

  // Runs every round after the other work.
  hook_id add_after_poll(task t);
  void remove_after_poll(hook_id id);
  // Makes the next poll return at once (work was found during this round).
  void request_round() { busy_ = true; }

  // libssh sessions (key exchange must have been started: ssh_handle_key_exchange).
  status add_session(ssh_session s);
  void remove_session(ssh_session s);

  // Held by code running inside libssh callbacks on this loop.
  class callback_scope {
   public:
    explicit callback_scope(reactor_loop& l) : l_(l) { ++l_.callback_depth_; }
    ~callback_scope() { --l_.callback_depth_; }
    callback_scope(const callback_scope&) = delete;
    callback_scope& operator=(const callback_scope&) = delete;

   private:
    reactor_loop& l_;
  };
  // True inside libssh's dispatch, where libssh I/O must not be started.
  bool in_callback() const { return callback_depth_ > 0 || polling_; }

  clock::time_point now() const { return clock::now(); }

 private:
  struct watch_entry {
    reactor_loop* loop = nullptr;
    watch_id id = 0;
    int fd = -1;
    short events = 0;      // wanted
    short registered = 0;  // as registered with libssh (0: not registered)
    short ready = 0;       // revents collected this round
    bool dead = false;
    fd_callback cb;
  };
  struct timer_entry {
    clock::time_point due;
    timer_id id;
    bool operator>(const timer_entry& o) const { return due > o.due; }
  };

  reactor_loop(std::size_t index, std::string name);
  static int on_fd_event(int fd, int revents, void* userdata);
  static int on_wake(int fd, int revents, void* userdata);

  void run();
  void assert_loop_thread() const;
  int poll_timeout();
  void run_posted();
  void dispatch_ready();
  void run_timers();
  void run_hooks();
  void apply_watch_changes();
  void sync_watch(watch_entry& w);

  const std::size_t index_;
  const std::string name_;
  ssh_event event_ = nullptr;
  unique_fd wake_fd_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};

  std::mutex mutex_;
  std::condition_variable stopped_cv_;
  std::deque<task> posted_;
  bool stopping_ = false;  // guarded by mutex_
  std::atomic<bool> stop_flag_{false};
  std::atomic<bool> wake_pending_{false};

  // Loop-thread state.
  int callback_depth_ = 0;
  bool polling_ = false;
  bool busy_ = false;
  std::uint64_t next_id_ = 1;
  std::unordered_map<watch_id, std::unique_ptr<watch_entry>> watches_;
  std::unordered_map<int, watch_id> watch_by_fd_;
  std::vector<watch_id> ready_;
  std::vector<watch_id> changed_;
  std::priority_queue<timer_entry, std::vector<timer_entry>, std::greater<>> timer_heap_;
  std::unordered_map<timer_id, task> timers_;
  std::map<hook_id, task> hooks_;
};

}  // namespace tp::transport
