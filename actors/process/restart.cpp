#include "actors/process/restart.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "transport/listener_set.hpp"

extern char** environ;

namespace tp::actors {
namespace {

struct process_info {
  std::string exe;                // the binary's path when we started
  std::vector<std::string> args;  // argv
  int ready_fd = -1;              // from our parent's restart, until report_ready()
  bool restarted = false;
  std::vector<std::string> listener_warnings;
};

process_info& info() {
  static process_info p;
  return p;
}

std::string self_exe(const char* argv0) {
  // /proc/self/exe names the file we run from; after the binary is replaced
  // by rename it reads "<path> (deleted)", so keep the name from the start.
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, static_cast<std::size_t>(n));
  return argv0 ? argv0 : "teleport";
}

}  // namespace

void remember_process(int argc, char** argv) {
  auto& p = info();
  p.exe = self_exe(argc > 0 ? argv[0] : nullptr);
  p.args.assign(argv, argv + argc);
  p.listener_warnings = transport::adopt_inherited_listeners();
  if (const char* v = std::getenv(k_restart_ready_env)) {
    int fd = -1;
    const char* end = v + std::strlen(v);
    auto [ptr, ec] = std::from_chars(v, end, fd);
    if (ec == std::errc() && ptr == end && fd > 2 && ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0) {
      p.ready_fd = fd;
      p.restarted = true;
    }
    ::unsetenv(k_restart_ready_env);
  }
}

bool started_by_restart() {
  return info().restarted;
}

const std::vector<std::string>& inherited_listener_warnings() {
  return info().listener_warnings;
}

void report_ready() {
  auto& p = info();
  if (p.ready_fd >= 0) {
    static const char line[] = "ready\n";
    (void)!::write(p.ready_fd, line, sizeof line - 1);
    ::close(p.ready_fd);
    p.ready_fd = -1;
  }
  (void)notify_systemd("READY=1\nMAINPID=" + std::to_string(::getpid()));
}

tp::result<successor> spawn_successor() {
  auto& p = info();
  if (p.exe.empty()) return make_error("the command line was not recorded at start");
  if (::access(p.exe.c_str(), X_OK) != 0)
    return make_error("cannot run " + p.exe + ": " + std::strerror(errno));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return make_error(std::string("pipe: ") + std::strerror(errno));
  transport::unique_fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  // Everything the child needs is built before fork: after it only
  // async-signal-safe calls are allowed (we are multi-threaded).
  const auto listeners = transport::listeners_for_child();
  // (Built with append: GCC 12 misreports `std::string(const char*) + "="`.)
  auto entry = [](std::string_view name, std::string_view value) {
    std::string e;
    e.append(name).append("=").append(value);
    return e;
  };
  const std::string listeners_prefix = entry(transport::k_inherited_listeners_env, "");
  const std::string ready_prefix = entry(k_restart_ready_env, "");
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) {
    const std::string_view kv(*e);
    if (kv.rfind(listeners_prefix, 0) == 0 || kv.rfind(ready_prefix, 0) == 0) continue;
    env_storage.emplace_back(kv);
  }
  env_storage.push_back(entry(transport::k_inherited_listeners_env,
                              transport::format_inherited_listeners(listeners)));
  env_storage.push_back(entry(k_restart_ready_env, std::to_string(write_end.get())));
  std::vector<char*> envp, argv;
  for (auto& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& a : p.args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<int> keep;
  for (const auto& l : listeners) keep.push_back(l.fd);
  keep.push_back(write_end.get());

  const pid_t pid = ::fork();
  if (pid < 0) return make_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // The signals the daemon blocks would stay blocked across exec.
    sigset_t none;
    sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    // Nothing but the listeners and the pipe crosses into the new process.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    for (int fd : keep) ::fcntl(fd, F_SETFD, 0);
    ::execve(p.exe.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return successor{pid, std::move(read_end)};
}

tp::status await_successor(successor& s, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string got;
  std::string problem;
  while (problem.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      problem = "it did not report ready within " + std::to_string(limit.count() / 1000) + " s";
      break;
    }
    pollfd pfd{s.ready.get(), POLLIN, 0};
    const int rc = ::poll(&pfd, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (rc < 0 && errno != EINTR) {
      problem = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (rc <= 0) continue;
    char buf[64];
    const ssize_t n = ::read(s.ready.get(), buf, sizeof buf);
    if (n > 0) {
      got.append(buf, static_cast<std::size_t>(n));
      if (got.find('\n') != std::string::npos) {
        if (got.rfind("ready", 0) == 0) return {};
        problem = "it reported \"" + got.substr(0, got.find('\n')) + "\"";
      }
      continue;
    }
    if (n == 0)
      problem = "it exited before it served (see its log above)";
    else if (errno != EINTR && errno != EAGAIN)
      problem = std::string("read: ") + std::strerror(errno);
  }
  ::kill(s.pid, SIGKILL);
  int wstatus = 0;
  ::waitpid(s.pid, &wstatus, 0);
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127)
    problem = "it could not be executed (" + info().exe + ")";
  return make_error("the new process (pid " + std::to_string(s.pid) + ") failed: " + problem);
}

tp::status notify_systemd(const std::string& message) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return make_error("NOTIFY_SOCKET is too long");
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  transport::unique_fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return make_error(std::string("socket: ") + std::strerror(errno));
  const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  if (::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
               reinterpret_cast<sockaddr*>(&addr), addr_len) < 0)
    return make_error(std::string("cannot notify systemd at ") + path + ": " +
                      std::strerror(errno));
  return {};
}

bool pid_file_is_ours(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  return in >> pid && pid == static_cast<long>(::getpid());
}

}  // namespace tp::actors
