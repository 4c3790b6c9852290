#include "transport/ssh_server_channel.hpp"

#include <algorithm>

#include "transport/ssh_reactor_loop.hpp"
#include "transport/ssh_server_core.hpp"
#include "transport/ssh_server_session.hpp"

namespace tp::transport {

namespace {

constexpr std::size_t k_read_chunk = 64 * 1024;
// Input handed to handlers per channel and round, so one busy channel cannot starve
// the others on its loop.
constexpr std::size_t k_read_budget = 4 * 1024 * 1024;
constexpr unsigned k_max_env = 256;
constexpr std::size_t k_max_pending_signals = 32;

std::uint32_t dimension(int v) {
  return v < 0 ? 0u : static_cast<std::uint32_t>(v);
}

char* read_buffer() {
  thread_local std::vector<char> buf(k_read_chunk);
  return buf.data();
}

}  // namespace

// Every libssh callback: marks the scope (libssh I/O is deferred inside it) and queues
// the session for processing after the poll.
struct server_channel::guard {
  reactor_loop::callback_scope scope;
  explicit guard(server_channel* c) : scope(c->loop()) {
    c->session_.note_activity();
    c->session_.mark_dirty();
  }
};

server_channel::server_channel(server_session& session, ssh_channel channel, channel_kind kind,
                               std::unique_ptr<channel_handler> handler, bool opening)
    : session_(session),
      channel_(channel),
      kind_(kind),
      id_(session.next_channel_id()),
      handler_(std::move(handler)),
      opening_(opening) {
  ssh_callbacks_init(&callbacks_);
  callbacks_.userdata = this;
  callbacks_.channel_data_function = &server_channel::on_data_cb;
  callbacks_.channel_eof_function = &server_channel::on_eof_cb;
  callbacks_.channel_close_function = &server_channel::on_close_cb;
  callbacks_.channel_signal_function = &server_channel::on_signal_cb;
  callbacks_.channel_pty_request_function = &server_channel::on_pty_cb;
  callbacks_.channel_shell_request_function = &server_channel::on_shell_cb;
  callbacks_.channel_exec_request_function = &server_channel::on_exec_cb;
  callbacks_.channel_env_request_function = &server_channel::on_env_cb;
  callbacks_.channel_subsystem_request_function = &server_channel::on_subsystem_cb;
  callbacks_.channel_pty_window_change_function = &server_channel::on_window_change_cb;
  callbacks_.channel_auth_agent_req_function = &server_channel::on_agent_req_cb;
  ssh_set_channel_callbacks(channel_, &callbacks_);
}

server_channel::~server_channel() {
  ssh_remove_channel_callbacks(channel_, &callbacks_);
}

reactor_loop& server_channel::loop() {
  return session_.loop();
}

// ---- libssh callbacks: record, decide, never do libssh I/O ----

int server_channel::on_data_cb(ssh_session, ssh_channel, void*, uint32_t len, int is_stderr,
                               void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  // libssh passes everything it holds for this channel; we take nothing now and read
  // it after the poll. Unread data keeps libssh from growing the client's window.
  (is_stderr ? c->err_buffered_ : c->in_buffered_) = len;
  return 0;
}

void server_channel::on_eof_cb(ssh_session, ssh_channel, void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  c->remote_eof_ = true;
}

void server_channel::on_close_cb(ssh_session, ssh_channel, void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  c->remote_eof_ = true;
  c->remote_closed_ = true;
}

void server_channel::on_signal_cb(ssh_session, ssh_channel, const char* signal, void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  if (signal && c->signals_.size() < k_max_pending_signals) c->signals_.emplace_back(signal);
}

int server_channel::on_pty_cb(ssh_session, ssh_channel, const char* term, int cols, int rows,
                              int px_w, int px_h, void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  if (c->kind_ != channel_kind::session || c->finished_) return -1;
  pty_request r;
  r.term = term ? term : "";
  r.size = clamp_pty_size({dimension(cols), dimension(rows), dimension(px_w), dimension(px_h)});
  return refuse_on_throw(-1, [&] { return c->handler_->on_pty_request(r) ? 0 : -1; });
}

int server_channel::on_shell_cb(ssh_session, ssh_channel, void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  if (!c->start_program()) return -1;
  if (refuse_on_throw(false, [&] { return c->handler_->on_shell(); })) return 0;
  c->program_started_ = false;
  return -1;
}

int server_channel::on_exec_cb(ssh_session, ssh_channel, const char* command, void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  if (!command || !c->start_program()) return -1;
  if (refuse_on_throw(false, [&] { return c->handler_->on_exec(command); })) return 0;
  c->program_started_ = false;
  return -1;
}

int server_channel::on_env_cb(ssh_session, ssh_channel, const char* name, const char* value,
                              void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  if (c->kind_ != channel_kind::session || c->finished_ || !name || !value) return -1;
  if (++c->env_count_ > k_max_env) return -1;
  return refuse_on_throw(-1, [&] { return c->handler_->on_env(name, value) ? 0 : -1; });
}

int server_channel::on_subsystem_cb(ssh_session, ssh_channel, const char* name, void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  if (!name || !c->start_program()) return -1;
  if (refuse_on_throw(false, [&] { return c->handler_->on_subsystem(name); })) return 0;
  c->program_started_ = false;
  return -1;
}

int server_channel::on_window_change_cb(ssh_session, ssh_channel, int cols, int rows, int px_w,
                                        int px_h, void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  if (c->kind_ != channel_kind::session || c->finished_) return -1;
  const pty_size s =
      clamp_pty_size({dimension(cols), dimension(rows), dimension(px_w), dimension(px_h)});
  return refuse_on_throw(-1, [&] { return c->handler_->on_window_change(s) ? 0 : -1; });
}

void server_channel::on_agent_req_cb(ssh_session, ssh_channel, void* ud) {
  auto* c = static_cast<server_channel*>(ud);
  guard g(c);
  if (c->kind_ != channel_kind::session || c->finished_) return;
  if (refuse_on_throw(false, [&] { return c->handler_->on_agent_forwarding_request(); }))
    c->session_.allow_agent_forwarding();
}

bool server_channel::start_program() {
  if (kind_ != channel_kind::session || finished_ || close_sent_ || program_started_) return false;
  program_started_ = true;
  return true;
}

// ---- output ----

bool server_channel::can_write() const {
  return !opening_ && !finished_ && !eof_sent_ && !close_sent_ && !remote_closed_;
}

std::size_t server_channel::writable() {
  if (!can_write()) return 0;
  const std::size_t window = loop().in_callback() ? 0 : ssh_channel_window_size(channel_);
  if (window == 0) {
    want_writable_ = true;
    session_.mark_dirty();
  }
  return window;
}

std::size_t server_channel::write(std::string_view data) {
  return write_impl(data, false);
}

std::size_t server_channel::write_stderr(std::string_view data) {
  return write_impl(data, true);
}

std::size_t server_channel::write_impl(std::string_view data, bool is_stderr) {
  if (data.empty() || !can_write()) return 0;
  if (loop().in_callback()) {
    want_writable_ = true;
    session_.mark_dirty();
    return 0;
  }
  const std::size_t window = ssh_channel_window_size(channel_);
  const std::size_t n = std::min({data.size(), window, std::size_t{1} << 20});
  if (n == 0) {
    want_writable_ = true;
    session_.mark_dirty();
    return 0;
  }
  // At most the window: libssh would otherwise wait (poll) for it to grow.
  const int rc = is_stderr ? ssh_channel_write_stderr(channel_, data.data(), uint32_t(n))
                           : ssh_channel_write(channel_, data.data(), uint32_t(n));
  if (rc < 0) {
    // The connection is broken; the session notices and ends.
    session_.mark_dirty();
    return 0;
  }
  if (static_cast<std::size_t>(rc) < data.size()) {
    want_writable_ = true;
    session_.mark_dirty();
  }
  session_.note_activity();
  return static_cast<std::size_t>(rc);
}

void server_channel::defer(std::function<void()> op) {
  if (loop().in_callback()) {
    deferred_.push_back(std::move(op));
    session_.mark_dirty();
  } else {
    op();
  }
}

void server_channel::send_eof() {
  if (opening_ || finished_ || eof_sent_ || close_sent_) return;
  eof_sent_ = true;  // refuses further writes now, even if the EOF itself is deferred
  defer([this] { ssh_channel_send_eof(channel_); });
}

void server_channel::send_exit_status(int code) {
  if (kind_ != channel_kind::session || opening_ || finished_ || close_sent_ || exit_sent_) return;
  exit_sent_ = true;
  defer([this, code] { ssh_channel_request_send_exit_status(channel_, code); });
}

void server_channel::send_exit_signal(std::string_view signal_name, bool core_dumped,
                                      std::string_view message) {
  if (kind_ != channel_kind::session || opening_ || finished_ || close_sent_ || exit_sent_) return;
  exit_sent_ = true;
  defer([this, sig = std::string(signal_name), core_dumped, msg = std::string(message)] {
    ssh_channel_request_send_exit_signal(channel_, sig.c_str(), core_dumped ? 1 : 0, msg.c_str(),
                                         "");
  });
}

void server_channel::close() {
  if (finished_ || close_sent_) return;
  close_sent_ = true;
  eof_sent_ = true;
  if (opening_) {
    finished_ = true;  // never confirmed: the session frees it
    session_.mark_dirty();
    return;
  }
  defer([this] { do_close(); });
}

void server_channel::do_close() {
  ssh_channel_close(channel_);
}

void server_channel::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  session_.mark_dirty();
}

// ---- after the poll ----

bool server_channel::needs_polling() const {
  if (finished_) return false;
  return opening_ || !deferred_.empty() || !signals_.empty() || err_buffered_ > 0 ||
         (want_writable_ && can_write()) ||
         (!paused_ && !close_sent_ && (in_buffered_ > 0 || !stash_.empty()));
}

void server_channel::process() {
  if (finished_) return;
  if (!deferred_.empty()) {
    auto ops = std::move(deferred_);
    deferred_.clear();
    for (auto& op : ops) op();
  }
  if (opening_) {
    // Repeats the non-blocking open until the client confirms or refuses.
    const int rc = opener_ ? opener_(channel_) : ssh_channel_open_auth_agent(channel_);
    if (rc == SSH_AGAIN) return;
    if (rc != SSH_OK) {
      finished_ = true;
      return;
    }
    opening_ = false;
    handler_->on_open(*this);
    if (finished_) return;
  }
  if (!signals_.empty()) {
    auto sigs = std::move(signals_);
    signals_.clear();
    for (const auto& s : sigs) handler_->on_signal(s);
  }
  deliver_input();
  if (want_writable_ && can_write() && ssh_channel_window_size(channel_) > 0) {
    want_writable_ = false;
    handler_->on_writable();
  }
  if (remote_closed_) {
    if (!close_sent_) {
      close_sent_ = eof_sent_ = true;
      do_close();
    }
    finished_ = true;
  }
}

void server_channel::deliver_input() {
  std::size_t budget = k_read_budget;
  char* buf = read_buffer();
  while (!paused_ && !close_sent_ && !finished_) {
    if (!stash_.empty()) {
      const std::size_t n = std::min(handler_->on_data(stash_), stash_.size());
      stash_.erase(0, n);
      if (!stash_.empty()) paused_ = true;
      continue;
    }
    if (in_buffered_ == 0) break;
    if (budget == 0) {
      session_.mark_dirty();
      break;
    }
    const std::size_t want = std::min({in_buffered_, k_read_chunk, budget});
    // Never called with libssh's buffer empty: it would poll the loop for more.
    const int rc = ssh_channel_read_nonblocking(channel_, buf, uint32_t(want), 0);
    if (rc <= 0) {
      in_buffered_ = 0;
      break;
    }
    const auto got = static_cast<std::size_t>(rc);
    in_buffered_ -= std::min(in_buffered_, got);
    budget -= std::min(budget, got);
    const std::size_t n = std::min(handler_->on_data(std::string_view(buf, got)), got);
    if (n < got) {
      stash_.assign(buf + n, got - n);
      paused_ = true;
    }
  }
  // Clients do not send extended data to servers; read it away so the window moves.
  while (err_buffered_ > 0) {
    const int rc = ssh_channel_read_nonblocking(channel_, buf,
                                                uint32_t(std::min(err_buffered_, k_read_chunk)), 1);
    if (rc <= 0) {
      err_buffered_ = 0;
      break;
    }
    err_buffered_ -= std::min(err_buffered_, static_cast<std::size_t>(rc));
  }
  if (remote_eof_ && !eof_delivered_ && in_buffered_ == 0 && stash_.empty() && !finished_) {
    eof_delivered_ = true;
    handler_->on_eof();
  }
}

}  // namespace tp::transport
