#include "transport/ssh_server_process.hpp"

#include <poll.h>

#include <csignal>

#include "transport/ssh_server_agent.hpp"
#include "transport/ssh_server_channel.hpp"
#include "transport/ssh_server_session.hpp"

namespace tp::transport {

namespace {

void set_env(std::vector<std::string>& env, std::string_view name, std::string_view value) {
  std::string entry = std::string(name) + "=" + std::string(value);
  for (auto& e : env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      e = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

bool default_accept_env(std::string_view name, std::string_view) {
  return name == "LANG" || name.substr(0, 3) == "LC_";
}

bool valid_env_name(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (char c : name)
    if (c == '=' || static_cast<unsigned char>(c) < 0x20) return false;
  return true;
}

}  // namespace

std::vector<std::string> login_environment(const os_user& user) {
  const char* path = user.uid == 0 ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                                   : "/usr/local/bin:/usr/bin:/bin:/usr/games";
  return {"USER=" + user.name,   "LOGNAME=" + user.name,      "HOME=" + user.home,
          "SHELL=" + user.shell, std::string("PATH=") + path, "MAIL=/var/mail/" + user.name};
}

process_channel::process_channel(process_channel_options options) : opts_(std::move(options)) {
  if (!opts_.accept_env) opts_.accept_env = &default_accept_env;
}

process_channel::~process_channel() {
  on_close();
}

void process_channel::on_open(server_channel& ch) {
  ch_ = &ch;
}

bool process_channel::on_pty_request(const pty_request& r) {
  if (!opts_.allow_pty || child_) return false;
  pty_ = r;
  return true;
}

bool process_channel::on_env(std::string_view name, std::string_view value) {
  if (child_ || !valid_env_name(name) || value.size() > 32 * 1024) return false;
  if (!opts_.accept_env(name, value)) return false;
  set_env(client_env_, name, value);
  return true;
}

bool process_channel::on_shell() {
  return start(opts_.force_command, {});
}

bool process_channel::on_exec(std::string_view command) {
  const std::string original(command);
  return start(opts_.force_command ? opts_.force_command : std::optional<std::string>(original),
               original);
}

bool process_channel::on_subsystem(std::string_view name) {
  if (opts_.program && !opts_.force_command) return start(std::nullopt, {}, std::string(name));
  auto it = opts_.subsystems.find(std::string(name));
  if (it == opts_.subsystems.end()) return false;
  return start(opts_.force_command ? opts_.force_command : std::optional(it->second),
               std::string(name));
}

bool process_channel::on_window_change(const pty_size& size) {
  if (!pty_) return false;
  pty_->size = size;
  if (child_ && child_->has_pty()) (void)child_->resize(size);
  return true;
}

bool process_channel::on_agent_forwarding_request() {
  if (!opts_.allow_agent_forwarding) return false;
  agent_requested_ = true;
  return true;
}

bool process_channel::start(const std::optional<std::string>& command, const std::string& original,
                            const std::string& subsystem) {
  if (child_ || !ch_ || finished_) return false;
  auto fail = [this](const std::string& e) {
    if (opts_.on_error) opts_.on_error(e);
    return false;
  };
  auto user = opts_.login ? lookup_os_user(*opts_.login) : current_os_user();
  if (!user) return fail(user.message());

  spawn_options so;
  so.user = opts_.login;
  so.env = opts_.env;
  for (const auto& e : client_env_) {
    const auto eq = e.find('=');
    set_env(so.env, std::string_view(e).substr(0, eq), std::string_view(e).substr(eq + 1));
  }
  if (pty_ && !pty_->term.empty()) set_env(so.env, "TERM", pty_->term);
  const server_session& sess = ch_->session();
  set_env(so.env, "SSH_CLIENT",
          sess.peer_address() + " " + std::to_string(sess.peer_port()) + " " +
              std::to_string(sess.local_port()));
  set_env(so.env, "SSH_CONNECTION",
          sess.peer_address() + " " + std::to_string(sess.peer_port()) + " " +
              sess.local_address() + " " + std::to_string(sess.local_port()));
  if (opts_.force_command && !original.empty()) set_env(so.env, "SSH_ORIGINAL_COMMAND", original);
  if (agent_requested_ && ch_->session().agent_forwarding()) {
    auto a = agent_forwarder::start(ch_->session(), opts_.login ? &*user : nullptr);
    if (!a) return fail(a.message());
    agent_ = std::move(*a);
    set_env(so.env, "SSH_AUTH_SOCK", agent_->socket_path());
  }
  if (opts_.program) {
    so.argv = opts_.program(command, subsystem, pty_.has_value());
    if (so.argv.empty()) return fail("nothing to run");
  } else if (command) {
    so.argv = shell_command_argv(*user, *command);
  } else {
    so.argv = login_shell_argv(*user);
    so.program = user->shell;
  }
  if (pty_) so.pty = pty_->size;

  auto c = child_process::spawn(so);
  if (!c) return fail(c.message());
  child_ = std::move(*c);

  channel_pump::options po;
  po.tap = opts_.tap;
  channel_pump::events pe;
  pe.on_input_done = [this] {
    if (child_) child_->close_stdin();
  };
  pe.on_output_done = [this] {
    output_done_ = true;
    maybe_finish();
  };
  pump_ = std::make_unique<channel_pump>(
      *ch_, channel_pump::fds{child_->stdin_fd(), child_->stdout_fd(), child_->stderr_fd()},
      std::move(po), std::move(pe));
  auto w = ch_->loop().watch(child_->exit_fd(), POLLIN, [this](short) { on_exit_fd(); });
  if (w) exit_watch_ = *w;
  (void)pump_->start();
  if (opts_.on_start) opts_.on_start(child_->pid(), command.value_or(so.program));
  return true;
}

void process_channel::on_exit_fd() {
  if (!child_ || exited_) return;
  auto e = child_->try_wait();
  if (!e) return;
  exited_ = true;
  ch_->loop().unwatch(exit_watch_);
  exit_watch_ = 0;
  if (!output_done_ && child_->has_pty())
    drain_timer_ = ch_->loop().schedule(opts_.pty_drain, [this] {
      drain_timer_ = 0;
      finish();
    });
  maybe_finish();
}

void process_channel::maybe_finish() {
  if (exited_ && output_done_) finish();
}

void process_channel::finish() {
  if (finished_ || !child_ || !child_->exit()) return;
  finished_ = true;
  if (drain_timer_) ch_->loop().cancel(drain_timer_);
  drain_timer_ = 0;
  if (pump_) pump_->stop();
  const exit_info& e = *child_->exit();
  report_exit(e);
  const std::string name = e.signaled ? signal_name(e.signal) : std::string();
  if (e.signaled && !name.empty())
    ch_->send_exit_signal(name, e.core_dumped, "");
  else
    ch_->send_exit_status(e.signaled ? 128 + e.signal : e.code);
  ch_->send_eof();
  ch_->close();
}

std::size_t process_channel::on_data(std::string_view data) {
  if (!pump_) return data.size();
  const std::size_t n = pump_->on_data(data);
  if (opts_.input_tap && n > 0) opts_.input_tap(data.substr(0, n));
  return n;
}

std::size_t process_channel::inject_input(std::string_view data) {
  return pump_ && !finished_ ? pump_->on_data(data) : 0;
}

void process_channel::on_eof() {
  if (pump_) pump_->on_eof();
}

void process_channel::on_writable() {
  if (pump_) pump_->on_writable();
}

void process_channel::on_signal(std::string_view name) {
  const int sig = signal_from_name(std::string(name));
  if (sig && child_ && !exited_) (void)child_->signal(sig);
}

void process_channel::report_exit(const exit_info& e) {
  if (exit_reported_) return;
  exit_reported_ = true;
  if (opts_.on_exit) opts_.on_exit(e);
}

void process_channel::on_close() {
  if (child_ && !exit_reported_) {
    // The client left first: what ran is killed now, as by a terminal hangup.
    exit_info hangup;
    hangup.signaled = true;
    hangup.signal = SIGHUP;
    report_exit(child_->exit() ? *child_->exit() : hangup);
  }
  finished_ = true;
  pump_.reset();
  if (ch_ && exit_watch_) ch_->loop().unwatch(exit_watch_);
  exit_watch_ = 0;
  if (ch_ && drain_timer_) ch_->loop().cancel(drain_timer_);
  drain_timer_ = 0;
  child_.reset();  // kills what is still running
  agent_.reset();
}

}  // namespace tp::transport
