// Child processes for SSH sessions: a command (argv, or a command line run by the
// login's shell with -c), optionally on a pseudo-terminal, with its own environment and
// working directory, as a given OS user.
//
// The parent's ends are non-blocking and close-on-exec, ready for a reactor to poll:
// stdin/stdout/stderr pipes, or one pty master. The exit is observed through a pidfd
// (pidfd_open, Linux >= 5.3), which becomes readable when the child exits: no SIGCHLD
// handler, nothing process-global. (Do not set SIGCHLD to SIG_IGN in the process: the
// kernel would then reap children before we can read their status.)
//
// spawn() forks and execs on the calling thread and waits only until the child has
// exec'd (or failed to: the error is reported back through a close-on-exec pipe). That
// is fast, so it runs on the reactor thread of the session; it never runs on the actor
// scheduler.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "transport/pty.hpp"
#include "transport/ssh_reactor_fd.hpp"

namespace tp::transport {

// An OS account, from the password database.
struct os_user {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::string shell;  // "/bin/sh" when the database has none
};

// Errors name the login when it does not exist.
result<os_user> lookup_os_user(const std::string& name);
result<os_user> current_os_user();

struct spawn_options {
  // argv[0] is the program; without a '/', it is searched in the PATH of `env` (or a
  // default PATH). `program`, when set, is the file to execute instead (argv[0] is then
  // only the name the program sees, e.g. "-bash" for a login shell).
  std::vector<std::string> argv;
  std::string program;
  // The complete environment ("NAME=value"), nothing is inherited.
  std::vector<std::string> env;
  // Empty: the user's home directory, falling back to "/" if it is not accessible (as
  // sshd does). An explicit directory that cannot be entered is an error.
  std::string working_dir;
  // Run as this OS user: supplementary groups, gid and uid are switched in the child.
  // Unset, or the same uid as ours: no switch. Switching needs root.
  std::optional<std::string> user;
  // Allocate a pty of this size; the child gets it as controlling terminal on
  // stdin/stdout/stderr. Unset: three pipes.
  std::optional<pty_size> pty;
};

// argv for "run this command line with the user's shell": {shell, "-c", command}.
std::vector<std::string> shell_command_argv(const os_user& user, const std::string& command);
// argv for an interactive login shell: {"-" + basename(shell)}; set spawn_options::program
// to user.shell with it.
std::vector<std::string> login_shell_argv(const os_user& user);

struct exit_info {
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // signal number when signaled
  bool core_dumped = false;
};

// "TERM", "KILL", ... (the SSH exit-signal names) for a signal number; "" if unknown.
std::string signal_name(int sig);
// The reverse, for SSH "signal" requests ("INT" -> SIGINT); 0 if unknown.
int signal_from_name(const std::string& name);

class child_process {
 public:
  static result<child_process> spawn(const spawn_options& options);

  child_process() = default;
  child_process(child_process&& o) noexcept;
  child_process& operator=(child_process&&) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  // A child still running is killed (SIGKILL to its process group) and reaped: a
  // session's processes do not outlive it.
  ~child_process();

  bool valid() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  bool has_pty() const { return pty_; }

  // With a pty, all three are the master (stderr_fd() is -1). -1 once closed.
  int stdin_fd() const { return pty_ ? io_.get() : stdin_.get(); }
  int stdout_fd() const { return pty_ ? io_.get() : stdout_.get(); }
  int stderr_fd() const { return stderr_.get(); }
  // Readable once the child has exited; then call try_wait().
  int exit_fd() const { return pidfd_.get(); }

  // Closes the pipe to the child's stdin (the child reads EOF). No-op with a pty.
  void close_stdin();
  // Closes the stdout/stderr pipes or the pty master.
  void close_stdout();
  void close_stderr();

  status resize(const pty_size& size);
  // Sends a signal to the child (pidfd_send_signal: never hits a recycled pid).
  status signal(int sig);
  // Sends a signal to the child's process group (it leads its own session).
  status signal_group(int sig);

  // Reaps the child if it has exited; the result is remembered.
  std::optional<exit_info> try_wait();
  const std::optional<exit_info>& exit() const { return exit_; }

 private:
  void terminate();

  pid_t pid_ = -1;
  bool pty_ = false;
  unique_fd pidfd_;
  unique_fd stdin_, stdout_, stderr_;  // pipes
  unique_fd io_;                       // pty master
  std::optional<exit_info> exit_;
};

}  // namespace tp::transport
