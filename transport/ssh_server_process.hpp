// A "session" channel handler that runs the client's shell, command or subsystem as a
// child process (pipes, or a pty when one was requested) and pumps its I/O; when the
// process has exited and its output is drained, it sends exit-status (or exit-signal),
// EOF and close. The node service configures one per channel with the policy the
// login's certificate and roles allow.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/child_process.hpp"
#include "transport/ssh_server_handler.hpp"
#include "transport/ssh_server_pump.hpp"

namespace tp::transport {

class agent_forwarder;

struct process_channel_options {
  // Run as this OS login; unset: as the server's own user.
  std::optional<std::string> login;
  // The base environment ("NAME=value"); see login_environment(). Added on top:
  // accepted client variables, SSH_CLIENT, SSH_CONNECTION, TERM for a pty,
  // SSH_AUTH_SOCK for agent forwarding, SSH_ORIGINAL_COMMAND with force_command.
  std::vector<std::string> env;
  // Which client "env" requests to honour. Unset: LANG and LC_* only (as sshd's
  // default AcceptEnv in Debian).
  std::function<bool(std::string_view name, std::string_view value)> accept_env;
  // Subsystem name -> command line run with the login's shell, e.g.
  // {"sftp", "/usr/lib/openssh/sftp-server"}.
  std::map<std::string, std::string> subsystems;
  // Replaces whatever the client asked to run (certificate force-command); the client's
  // command goes to SSH_ORIGINAL_COMMAND.
  std::optional<std::string> force_command;
  bool allow_pty = true;
  bool allow_agent_forwarding = false;
  // Runs this program instead of the login's shell: the recording proxy runs ssh to
  // the node. Given what the client asked for -- a command (unset: a shell) or a
  // subsystem name (non-empty) -- and whether it has a terminal; returns the argv
  // (argv[0] found in PATH). `subsystems` is then not consulted.
  std::function<std::vector<std::string>(const std::optional<std::string>& command,
                                         const std::string& subsystem, bool pty)>
      program;
  // After the process exited, how long to wait for a pty's output to end (programs
  // left in the background may hold the terminal open).
  std::chrono::milliseconds pty_drain{1000};
  // Sees all output sent to the client (session recording).
  std::function<void(std::string_view data, bool is_stderr)> tap;
  // Sees the client's input as the process takes it (scp byte counts).
  std::function<void(std::string_view data)> input_tap;
  // The process started (its pid), or could not be started (the request is refused).
  std::function<void(pid_t pid, const std::string& command)> on_start;
  std::function<void(const std::string& error)> on_error;
  // Once per started process, after its output was sent (or when the channel
  // closes first: then a hangup if it was still running).
  std::function<void(const exit_info&)> on_exit;
};

// USER, LOGNAME, HOME, SHELL, PATH (+ MAIL) for a login, as sshd sets them.
std::vector<std::string> login_environment(const os_user& user);

class process_channel : public channel_handler {
 public:
  explicit process_channel(process_channel_options options);
  ~process_channel() override;

  void on_open(server_channel& ch) override;
  bool on_pty_request(const pty_request& r) override;
  bool on_env(std::string_view name, std::string_view value) override;
  bool on_shell() override;
  bool on_exec(std::string_view command) override;
  bool on_subsystem(std::string_view name) override;
  bool on_window_change(const pty_size& size) override;
  bool on_agent_forwarding_request() override;
  std::size_t on_data(std::string_view data) override;
  void on_eof() override;
  void on_writable() override;
  void on_signal(std::string_view name) override;
  void on_close() override;

  const child_process* child() const { return child_ ? &*child_ : nullptr; }
  // Input from elsewhere than this channel's client (a joined party), written
  // to the process like client data; returns how much was taken.
  std::size_t inject_input(std::string_view data);

 private:
  bool start(const std::optional<std::string>& command, const std::string& original,
             const std::string& subsystem = {});
  void on_exit_fd();
  void maybe_finish();
  void finish();
  void report_exit(const exit_info& e);

  process_channel_options opts_;
  server_channel* ch_ = nullptr;
  std::optional<pty_request> pty_;
  std::vector<std::string> client_env_;
  bool agent_requested_ = false;
  std::unique_ptr<agent_forwarder> agent_;
  std::optional<child_process> child_;
  std::unique_ptr<channel_pump> pump_;
  reactor_loop::watch_id exit_watch_ = 0;
  reactor_loop::timer_id drain_timer_ = 0;
  bool exited_ = false;
  bool output_done_ = false;
  bool finished_ = false;
  bool exit_reported_ = false;
};

}  // namespace tp::transport
