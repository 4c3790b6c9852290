#include "transport/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace tp::transport {

namespace {

std::string errno_text(int e) {
  return std::strerror(e);
}

// Raw system calls: glibc 2.36's <sys/pidfd.h> lacks C linkage for C++.
int sys_pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int sys_pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// What the child reports through the error pipe when it cannot exec.
enum class child_stage : int { session, terminal, stdio, groups, gid, uid, chdir, exec };

struct child_failure {
  child_stage stage;
  int error;
};

std::string stage_text(child_stage s) {
  switch (s) {
    case child_stage::session:
      return "cannot start a new session";
    case child_stage::terminal:
      return "cannot attach the terminal";
    case child_stage::stdio:
      return "cannot set up stdin/stdout/stderr";
    case child_stage::groups:
      return "cannot set supplementary groups";
    case child_stage::gid:
      return "cannot switch group";
    case child_stage::uid:
      return "cannot switch user";
    case child_stage::chdir:
      return "cannot enter the working directory";
    case child_stage::exec:
      return "cannot execute";
  }
  return "cannot start";
}

std::string env_value(const std::vector<std::string>& env, const std::string& name) {
  const std::string prefix = name + "=";
  for (const auto& e : env)
    if (e.compare(0, prefix.size(), prefix) == 0) return e.substr(prefix.size());
  return {};
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

// PATH lookup in the parent: execvp is not async-signal-safe after fork.
result<std::string> resolve_program(const std::string& name, const std::vector<std::string>& env) {
  if (name.empty()) return make_error("no command to run");
  if (name.find('/') != std::string::npos) return name;
  std::string path = env_value(env, "PATH");
  if (path.empty()) path = "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  return make_error(name + ": command not found");
}

result<std::vector<gid_t>> groups_of(const os_user& u) {
  int n = 32;
  std::vector<gid_t> groups;
  for (int attempt = 0; attempt < 8; ++attempt) {
    groups.resize(static_cast<std::size_t>(n));
    int count = n;
    if (::getgrouplist(u.name.c_str(), u.gid, groups.data(), &count) >= 0) {
      groups.resize(static_cast<std::size_t>(count));
      return groups;
    }
    n = count > n ? count : n * 2;
  }
  return make_error("cannot list the groups of '" + u.name + "'");
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

struct pipe_pair {
  unique_fd read, write;
};

result<pipe_pair> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
  return pipe_pair{unique_fd(fds[0]), unique_fd(fds[1])};
}

// Everything the child needs, prepared before fork so the child only makes system calls.
struct child_plan {
  std::string program;
  std::vector<char*> argv, envp;
  std::string dir;
  bool dir_fallback = false;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  int tty = -1;                     // pty slave
  int in = -1, out = -1, err = -1;  // pipe ends
  int report = -1;                  // error pipe (close-on-exec)
};

[[noreturn]] void child_fail(const child_plan& p, child_stage stage) {
  const child_failure f{stage, errno};
  [[maybe_unused]] auto n = ::write(p.report, &f, sizeof f);
  ::_exit(127);
}

[[noreturn]] void run_child(const child_plan& p) {
  // The parent may ignore or block signals (SIGPIPE typically); the command must not
  // inherit that.
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  sigset_t all;
  ::sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);

  if (::setsid() < 0) child_fail(p, child_stage::session);
  if (p.tty >= 0) {
    if (::ioctl(p.tty, TIOCSCTTY, 0) != 0) child_fail(p, child_stage::terminal);
    for (int target = 0; target < 3; ++target)
      if (::dup2(p.tty, target) < 0) child_fail(p, child_stage::stdio);
  } else {
    if (::dup2(p.in, 0) < 0 || ::dup2(p.out, 1) < 0 || ::dup2(p.err, 2) < 0)
      child_fail(p, child_stage::stdio);
  }
  // Nothing else of ours may leak into the command (other sessions' sockets, pipes):
  // mark every other fd close-on-exec, which keeps the error pipe usable until exec.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

  if (p.switch_user) {
    if (::setgroups(p.groups.size(), p.groups.data()) != 0) child_fail(p, child_stage::groups);
    if (::setgid(p.gid) != 0) child_fail(p, child_stage::gid);
    if (::setuid(p.uid) != 0) child_fail(p, child_stage::uid);
  }
  if (::chdir(p.dir.c_str()) != 0) {
    if (!p.dir_fallback || ::chdir("/") != 0) child_fail(p, child_stage::chdir);
  }
  ::execve(p.program.c_str(), p.argv.data(), p.envp.data());
  child_fail(p, child_stage::exec);
}

}  // namespace

result<child_process> child_process::spawn(const spawn_options& o) {
  if (o.argv.empty()) return make_error("no command to run");

  // Who runs it.
  os_user user;
  bool switch_user = false;
  if (o.user) {
    auto u = lookup_os_user(*o.user);
    if (!u) return u.err();
    user = std::move(*u);
    if (user.uid != ::geteuid()) {
      if (::geteuid() != 0)
        return make_error("cannot run commands as '" + user.name +
                          "': switching users needs root privileges");
      switch_user = true;
    }
  } else {
    auto u = current_os_user();
    if (!u) return u.err();
    user = std::move(*u);
  }

  child_plan plan;
  auto program = resolve_program(o.program.empty() ? o.argv[0] : o.program, o.env);
  if (!program) return program.err();
  plan.program = std::move(*program);
  plan.argv = c_strings(o.argv);
  std::vector<std::string> env = o.env;  // + SSH_TTY once the pty exists
  plan.dir = o.working_dir.empty() ? user.home : o.working_dir;
  plan.dir_fallback = o.working_dir.empty();
  plan.switch_user = switch_user;
  plan.uid = user.uid;
  plan.gid = user.gid;
  if (switch_user) {
    auto groups = groups_of(user);
    if (!groups) return groups.err();
    plan.groups = std::move(*groups);
  }

  child_process child;
  pty_pair pty;
  pipe_pair in, out, err;
  if (o.pty) {
    auto p = open_pty(*o.pty);
    if (!p) return p.err();
    pty = std::move(*p);
    // The terminal belongs to the user who gets it, as login(1) arranges.
    if (switch_user && ::fchown(pty.slave.get(), user.uid, static_cast<gid_t>(-1)) != 0)
      return make_error("cannot hand the terminal to '" + user.name + "': " + errno_text(errno));
    plan.tty = pty.slave.get();
    env.push_back("SSH_TTY=" + pty.slave_name);  // as sshd sets it
  } else {
    for (auto* p : {&in, &out, &err}) {
      auto made = make_pipe();
      if (!made) return made.err();
      *p = std::move(*made);
    }
    plan.in = in.read.get();
    plan.out = out.write.get();
    plan.err = err.write.get();
  }
  plan.envp = c_strings(env);
  auto report = make_pipe();
  if (!report) return report.err();
  plan.report = report->write.get();

  const pid_t pid = ::fork();
  if (pid < 0) return make_error("fork: " + errno_text(errno));
  if (pid == 0) run_child(plan);

  child.pid_ = pid;
  child.pty_ = o.pty.has_value();
  // Take the pidfd before anything can reap the child, so it names this process.
  const int pidfd = sys_pidfd_open(pid);
  if (pidfd < 0) {
    const int e = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    child.pid_ = -1;
    return make_error("pidfd_open: " + errno_text(e) + " (Linux 5.3 or newer is needed)");
  }
  child.pidfd_.reset(pidfd);

  // Our copies of the child's ends must go, or we would never see EOF.
  report->write.reset();
  pty.slave.reset();
  in.read.reset();
  out.write.reset();
  err.write.reset();

  child_failure failure{};
  ssize_t got;
  do {
    got = ::read(report->read.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    child.try_wait();
    while (!child.exit_ && ::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    child.pid_ = -1;
    std::string what = stage_text(failure.stage);
    if (failure.stage == child_stage::exec) what += " " + plan.program;
    if (failure.stage == child_stage::chdir) what += " " + plan.dir;
    return make_error(what + ": " + errno_text(failure.error));
  }

  if (child.pty_) {
    child.io_ = std::move(pty.master);
  } else {
    for (auto* fd : {&in.write, &out.read, &err.read})
      if (auto st = set_nonblocking(fd->get()); !st) return st.err();
    // Bulk transfers (cat, scp) move in pipe-sized steps: 256 KiB instead of 64 KiB
    // means fewer reactor rounds per byte. Best effort (pipe-max-size may be lower).
    for (auto* fd : {&in.write, &out.read}) ::fcntl(fd->get(), F_SETPIPE_SZ, 256 * 1024);
    child.stdin_ = std::move(in.write);
    child.stdout_ = std::move(out.read);
    child.stderr_ = std::move(err.read);
  }
  return child;
}

child_process::child_process(child_process&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      pty_(o.pty_),
      pidfd_(std::move(o.pidfd_)),
      stdin_(std::move(o.stdin_)),
      stdout_(std::move(o.stdout_)),
      stderr_(std::move(o.stderr_)),
      io_(std::move(o.io_)),
      exit_(std::move(o.exit_)) {}

child_process& child_process::operator=(child_process&& o) noexcept {
  if (this != &o) {
    terminate();
    pid_ = std::exchange(o.pid_, -1);
    pty_ = o.pty_;
    pidfd_ = std::move(o.pidfd_);
    stdin_ = std::move(o.stdin_);
    stdout_ = std::move(o.stdout_);
    stderr_ = std::move(o.stderr_);
    io_ = std::move(o.io_);
    exit_ = std::move(o.exit_);
  }
  return *this;
}

child_process::~child_process() {
  terminate();
}

void child_process::terminate() {
  stdin_.reset();
  stdout_.reset();
  stderr_.reset();
  io_.reset();
  if (pid_ > 0 && !exit_) {
    ::kill(-pid_, SIGKILL);
    if (pidfd_) sys_pidfd_send_signal(pidfd_.get(), SIGKILL);
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED) < 0 && errno == EINTR) {
    }
  }
  pidfd_.reset();
  pid_ = -1;
}

void child_process::close_stdin() {
  if (!pty_) stdin_.reset();
}

void child_process::close_stdout() {
  if (pty_)
    io_.reset();
  else
    stdout_.reset();
}

void child_process::close_stderr() {
  stderr_.reset();
}

status child_process::resize(const pty_size& size) {
  if (!pty_ || !io_) return make_error("the process has no terminal");
  return set_pty_size(io_.get(), size);
}

status child_process::signal(int sig) {
  if (pid_ <= 0 || exit_) return make_error("the process has exited");
  if (sys_pidfd_send_signal(pidfd_.get(), sig) != 0)
    return make_error("cannot signal process " + std::to_string(pid_) + ": " + errno_text(errno));
  return {};
}

status child_process::signal_group(int sig) {
  if (pid_ <= 0) return make_error("no process");
  if (::kill(-pid_, sig) != 0)
    return make_error("cannot signal process group " + std::to_string(pid_) + ": " +
                      errno_text(errno));
  return {};
}

std::optional<exit_info> child_process::try_wait() {
  if (exit_ || pid_ <= 0) return exit_;
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno == ECHILD) {
    // Reaped behind our back (SIGCHLD set to SIG_IGN, or a stray waitpid(-1)): the
    // status is lost, but the process is gone; report a failure rather than wait forever.
    exit_ = exit_info{false, 255, 0, false};
    return exit_;
  }
  if (rc < 0 || info.si_pid == 0) return std::nullopt;
  exit_info e;
  switch (info.si_code) {
    case CLD_EXITED:
      e.code = info.si_status;
      break;
    case CLD_DUMPED:
      e.core_dumped = true;
      [[fallthrough]];
    default:
      e.signaled = true;
      e.signal = info.si_status;
  }
  exit_ = e;
  return exit_;
}

}  // namespace tp::transport
