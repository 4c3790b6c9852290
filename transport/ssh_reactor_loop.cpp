#include "transport/ssh_reactor_loop.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace tp::transport {

namespace {

void init_libssh_once() {
  static std::once_flag once;
  std::call_once(once, [] { ssh_init(); });
}

void signal_eventfd(int fd) {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
}

}  // namespace

result<std::unique_ptr<reactor_loop>> reactor_loop::create(std::size_t index, std::string name) {
  init_libssh_once();
  std::unique_ptr<reactor_loop> l(new reactor_loop(index, std::move(name)));
  l->event_ = ssh_event_new();
  if (!l->event_) return make_error("cannot create a libssh event loop");
  const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) return make_error(std::string("eventfd: ") + std::strerror(errno));
  l->wake_fd_.reset(efd);
  if (ssh_event_add_fd(l->event_, efd, POLLIN, &reactor_loop::on_wake, l.get()) != SSH_OK)
    return make_error("cannot register the wake-up fd with libssh");
  return l;
}

reactor_loop::reactor_loop(std::size_t index, std::string name)
    : index_(index), name_(std::move(name)) {}

reactor_loop::~reactor_loop() {
  stop();
  if (event_) {
    for (auto& [id, w] : watches_)
      if (w->registered) ssh_event_remove_fd(event_, w->fd);
    if (wake_fd_) ssh_event_remove_fd(event_, wake_fd_.get());
    ssh_event_free(event_);
  }
}

void reactor_loop::start() {
  assert(!thread_.joinable());
  thread_ = std::thread([this] { run(); });
  ::pthread_setname_np(thread_.native_handle(), name_.substr(0, 15).c_str());
}

void reactor_loop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_flag_ = true;
  if (wake_fd_) signal_eventfd(wake_fd_.get());
  // On its own thread the loop just ends after this round; joining is left to others.
  if (in_loop_thread()) return;
  if (thread_.joinable()) thread_.join();
  std::deque<task> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(posted_);
  }
}

bool reactor_loop::post(task t) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    posted_.push_back(std::move(t));
  }
  if (!wake_pending_.exchange(true)) signal_eventfd(wake_fd_.get());
  return true;
}

bool reactor_loop::run_and_wait(task t) {
  if (in_loop_thread()) {
    t();
    return true;
  }
  struct state {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    bool ran = false;
  };
  // Signals the waiter when the last copy of the posted task is destroyed, whether it
  // ran or was dropped by stop().
  struct notifier {
    std::shared_ptr<state> s;
    explicit notifier(std::shared_ptr<state> x) : s(std::move(x)) {}
    notifier(const notifier&) = delete;
    notifier& operator=(const notifier&) = delete;
    ~notifier() {
      std::lock_guard lock(s->m);
      s->done = true;
      s->cv.notify_all();
    }
  };
  auto s = std::make_shared<state>();
  auto n = std::make_shared<notifier>(s);
  if (!post([t = std::move(t), n]() {
        t();
        std::lock_guard lock(n->s->m);
        n->s->ran = true;
      }))
    return false;
  n.reset();
  std::unique_lock lock(s->m);
  s->cv.wait(lock, [&] { return s->done; });
  return s->ran;
}

bool reactor_loop::in_loop_thread() const {
  return thread_id_.load() == std::this_thread::get_id();
}

void reactor_loop::assert_loop_thread() const {
  assert(in_loop_thread() && "reactor_loop: called off its thread");
}

int reactor_loop::on_wake(int fd, int, void* userdata) {
  auto* l = static_cast<reactor_loop*>(userdata);
  std::uint64_t v;
  while (::read(fd, &v, sizeof v) > 0) {
  }
  (void)l;
  return 0;
}

int reactor_loop::on_fd_event(int, int revents, void* userdata) {
  auto* w = static_cast<watch_entry*>(userdata);
  if (w->dead) return 0;
  if (w->ready == 0) w->loop->ready_.push_back(w->id);
  w->ready = static_cast<short>(w->ready | revents);
  return 0;
}

void reactor_loop::run() {
  thread_id_ = std::this_thread::get_id();
  // A write to a pipe or socket whose reader is gone must fail with EPIPE, not kill
  // the process. (Children get a clean signal mask, see child_process.)
  sigset_t pipe_set;
  ::sigemptyset(&pipe_set);
  ::sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
  while (!stop_flag_) {
    apply_watch_changes();
    const int timeout = poll_timeout();
    polling_ = true;
    ssh_event_dopoll(event_, timeout);  // errors (EINTR) just end the round
    polling_ = false;
    busy_ = false;
    run_posted();
    apply_watch_changes();
    dispatch_ready();
    apply_watch_changes();
    run_timers();
    apply_watch_changes();
    run_hooks();
  }
}

int reactor_loop::poll_timeout() {
  if (busy_ || wake_pending_ || !ready_.empty()) return 0;
  while (!timer_heap_.empty() && !timers_.count(timer_heap_.top().id)) timer_heap_.pop();
  constexpr int k_max_wait_ms = 60'000;
  if (timer_heap_.empty()) return k_max_wait_ms;
  const auto left = timer_heap_.top().due - clock::now();
  if (left <= clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > k_max_wait_ms ? k_max_wait_ms : static_cast<int>(ms);
}

void reactor_loop::run_posted() {
  wake_pending_ = false;
  std::deque<task> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(posted_);
  }
  while (!batch.empty()) {
    task t = std::move(batch.front());
    batch.pop_front();
    t();
  }
}

void reactor_loop::dispatch_ready() {
  std::vector<watch_id> batch;
  batch.swap(ready_);
  for (watch_id id : batch) {
    auto it = watches_.find(id);
    if (it == watches_.end()) continue;
    watch_entry& w = *it->second;
    const short rev = w.ready;
    w.ready = 0;
    if (w.dead || !(rev & (w.events | POLLERR | POLLHUP | POLLNVAL))) continue;
    fd_callback cb = w.cb;  // the callback may unwatch (and so free) its own entry
    cb(rev);
  }
}

void reactor_loop::run_timers() {
  const auto now = clock::now();
  std::size_t budget = timer_heap_.size();  // timers added while running wait a round
  while (budget-- > 0 && !timer_heap_.empty() && timer_heap_.top().due <= now) {
    const timer_id id = timer_heap_.top().id;
    timer_heap_.pop();
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    task t = std::move(it->second);
    timers_.erase(it);
    t();
  }
}

void reactor_loop::run_hooks() {
  std::vector<hook_id> ids;
  ids.reserve(hooks_.size());
  for (const auto& [id, h] : hooks_) ids.push_back(id);
  for (hook_id id : ids) {
    auto it = hooks_.find(id);
    if (it == hooks_.end()) continue;
    task h = it->second;
    h();
  }
}

result<reactor_loop::watch_id> reactor_loop::watch(int fd, short events, fd_callback cb) {
  assert_loop_thread();
  if (fd < 0) return make_error("cannot watch an invalid fd");
  if (watch_by_fd_.count(fd)) return make_error("fd " + std::to_string(fd) + " is already watched");
  auto w = std::make_unique<watch_entry>();
  w->loop = this;
  w->id = next_id_++;
  w->fd = fd;
  w->events = events;
  w->cb = std::move(cb);
  const watch_id id = w->id;
  watches_.emplace(id, std::move(w));
  watch_by_fd_.emplace(fd, id);
  changed_.push_back(id);
  apply_watch_changes();
  return id;
}

void reactor_loop::set_events(watch_id id, short events) {
  assert_loop_thread();
  auto it = watches_.find(id);
  if (it == watches_.end() || it->second->dead || it->second->events == events) return;
  it->second->events = events;
  changed_.push_back(id);
  apply_watch_changes();
}

short reactor_loop::events(watch_id id) const {
  auto it = watches_.find(id);
  return it == watches_.end() || it->second->dead ? 0 : it->second->events;
}

void reactor_loop::unwatch(watch_id id) {
  assert_loop_thread();
  auto it = watches_.find(id);
  if (it == watches_.end() || it->second->dead) return;
  it->second->dead = true;
  watch_by_fd_.erase(it->second->fd);
  changed_.push_back(id);
  apply_watch_changes();
}

void reactor_loop::apply_watch_changes() {
  if (in_callback() || changed_.empty()) return;
  std::vector<watch_id> batch;
  batch.swap(changed_);
  for (watch_id id : batch) {
    auto it = watches_.find(id);
    if (it == watches_.end()) continue;
    sync_watch(*it->second);
    if (it->second->dead) watches_.erase(it);
  }
}

void reactor_loop::sync_watch(watch_entry& w) {
  const short want = w.dead ? 0 : w.events;
  if (w.registered == want) return;
  if (w.registered) {
    ssh_event_remove_fd(event_, w.fd);
    w.registered = 0;
  }
  if (want && ssh_event_add_fd(event_, w.fd, want, &reactor_loop::on_fd_event, &w) == SSH_OK)
    w.registered = want;
}

reactor_loop::timer_id reactor_loop::schedule(std::chrono::milliseconds delay, task t) {
  assert_loop_thread();
  const timer_id id = next_id_++;
  timers_.emplace(id, std::move(t));
  timer_heap_.push(timer_entry{clock::now() + delay, id});
  return id;
}

void reactor_loop::cancel(timer_id id) {
  assert_loop_thread();
  timers_.erase(id);
}

reactor_loop::hook_id reactor_loop::add_after_poll(task t) {
  assert_loop_thread();
  const hook_id id = next_id_++;
  hooks_.emplace(id, std::move(t));
  return id;
}

void reactor_loop::remove_after_poll(hook_id id) {
  assert_loop_thread();
  hooks_.erase(id);
}

status reactor_loop::add_session(ssh_session s) {
  assert_loop_thread();
  assert(!in_callback());
  if (ssh_event_add_session(event_, s) != SSH_OK)
    return make_error("cannot add the SSH session to the event loop");
  return {};
}

void reactor_loop::remove_session(ssh_session s) {
  assert_loop_thread();
  assert(!in_callback());
  ssh_event_remove_session(event_, s);
}

}  // namespace tp::transport
