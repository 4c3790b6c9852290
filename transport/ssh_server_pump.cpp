#include "transport/ssh_server_pump.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace tp::transport {

namespace {

constexpr std::size_t k_reads_per_event = 4;

char* scratch(std::size_t n) {
  thread_local std::vector<char> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

}  // namespace

channel_pump::channel_pump(server_channel& ch, fds f, options o, events e)
    : ch_(ch), loop_(ch.loop()), fds_(f), opts_(std::move(o)), events_(std::move(e)) {
  if (opts_.chunk == 0) opts_.chunk = 64 * 1024;
  out_.fd = f.output;
  out_.done = f.output < 0;
  err_.fd = f.error;
  err_.is_stderr = true;
  err_.done = f.error < 0;
  input_done_ = f.input < 0;
}

channel_pump::~channel_pump() {
  stop();
}

status channel_pump::start() {
  started_ = true;
  update_watches();
  check_output_done();
  fire();
  return {};
}

void channel_pump::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [fd, id] : watches_) loop_.unwatch(id);
  watches_.clear();
}

void channel_pump::update_watches() {
  if (stopped_ || !started_) return;
  int fds[3] = {fds_.input, out_.fd, err_.fd};
  for (int i = 0; i < 3; ++i) {
    const int fd = fds[i];
    if (fd < 0 || std::find(fds, fds + i, fd) != fds + i) continue;
    const bool as_input = fd == fds_.input && !input_done_;
    const bool as_out = fd == out_.fd && !out_.done;
    const bool as_err = fd == err_.fd && !err_.done;
    auto it = watches_.find(fd);
    if (!as_input && !as_out && !as_err) {
      if (it != watches_.end()) {
        loop_.unwatch(it->second);
        watches_.erase(it);
      }
      continue;
    }
    short ev = 0;
    if ((as_out && out_.pending.empty()) || (as_err && err_.pending.empty()))
      if (!window_blocked_) ev |= POLLIN;
    if (as_input && !in_buf_.empty()) ev |= POLLOUT;
    if (it == watches_.end()) {
      auto w = loop_.watch(fd, ev, [this, fd](short revents) { on_fd(fd, revents); });
      if (w) watches_.emplace(fd, *w);
    } else {
      loop_.set_events(it->second, ev);
    }
  }
}

void channel_pump::on_fd(int fd, short revents) {
  if (stopped_) return;
  const short failed = POLLERR | POLLHUP | POLLNVAL;
  if (fd == fds_.input && !input_done_ && !in_buf_.empty() && (revents & (POLLOUT | failed)))
    flush_input();
  if (fd == out_.fd && !out_.done && (revents & (POLLIN | failed))) read_source(out_);
  if (fd == err_.fd && !err_.done && (revents & (POLLIN | failed))) read_source(err_);
  update_watches();
  check_output_done();
  fire();
}

bool channel_pump::flush_pending(source& s) {
  while (!s.pending.empty()) {
    const std::size_t w = s.is_stderr ? ch_.write_stderr(s.pending) : ch_.write(s.pending);
    if (w == 0) {
      window_blocked_ = true;
      return false;
    }
    s.pending.erase(0, w);
  }
  return true;
}

void channel_pump::read_source(source& s) {
  if (!flush_pending(s)) return;
  const std::size_t room = ch_.writable();
  if (room == 0) {
    // Window full (or the channel is closing): stop reading, the producer blocks.
    window_blocked_ = true;
    return;
  }
  // Gather several reads into one channel write: each write may make libssh poll the
  // socket once, so fewer, larger writes are cheaper.
  const std::size_t want = std::min(room, opts_.chunk * k_reads_per_event);
  char* buf = scratch(want);
  std::size_t got = 0;
  while (got < want) {
    const ssize_t r = ::read(s.fd, buf + got, std::min(opts_.chunk, want - got));
    if (r > 0) {
      got += static_cast<std::size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    // EOF; EIO from a pty master whose terminal is closed; or a real error.
    if (r == 0 || errno != EAGAIN) s.done = true;
    break;
  }
  if (got == 0) return;
  const std::string_view data(buf, got);
  if (opts_.tap) opts_.tap(data, s.is_stderr);
  const std::size_t w = s.is_stderr ? ch_.write_stderr(data) : ch_.write(data);
  if (w < data.size()) {
    s.pending.assign(data.substr(w));
    window_blocked_ = true;
  }
}

void channel_pump::on_writable() {
  if (stopped_) return;
  window_blocked_ = false;
  flush_pending(out_) && flush_pending(err_);
  update_watches();
  check_output_done();
  fire();
}

std::size_t channel_pump::on_data(std::string_view data) {
  if (stopped_ || input_done_ || in_eof_) return data.size();  // nobody reads it: drop
  std::size_t taken = 0;
  if (in_buf_.empty()) {
    const ssize_t w = ::write(fds_.input, data.data(), data.size());
    if (w > 0) {
      taken = static_cast<std::size_t>(w);
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
      finish_input();  // EPIPE: the reader is gone
      update_watches();
      fire();
      return data.size();
    }
  }
  if (taken < data.size() && in_buf_.size() < opts_.input_buffer) {
    const std::size_t add = std::min(data.size() - taken, opts_.input_buffer - in_buf_.size());
    in_buf_.append(data.substr(taken, add));
    taken += add;
  }
  update_watches();
  fire();
  return taken;
}

void channel_pump::flush_input() {
  while (!in_buf_.empty()) {
    const ssize_t w = ::write(fds_.input, in_buf_.data(), in_buf_.size());
    if (w > 0) {
      in_buf_.erase(0, static_cast<std::size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) break;
    finish_input();
    return;
  }
  ch_.resume_reading();
  if (in_buf_.empty() && in_eof_) finish_input();
}

void channel_pump::on_eof() {
  if (stopped_) return;
  in_eof_ = true;
  if (in_buf_.empty()) finish_input();
  update_watches();
  fire();
}

void channel_pump::finish_input() {
  if (input_done_) return;
  input_done_ = true;
  in_buf_.clear();
  notify_input_ = true;
}

void channel_pump::check_output_done() {
  if (output_reported_ || !out_.done || !err_.done || !out_.pending.empty() ||
      !err_.pending.empty())
    return;
  output_reported_ = true;
  notify_output_ = true;
}

void channel_pump::fire() {
  // Copies first: a callback may destroy the pump.
  auto in_cb = std::exchange(notify_input_, false) ? events_.on_input_done : nullptr;
  auto out_cb = std::exchange(notify_output_, false) ? events_.on_output_done : nullptr;
  if (in_cb) in_cb();
  if (out_cb) out_cb();
}

}  // namespace tp::transport
