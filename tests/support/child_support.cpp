#include "child_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace tp::test::child {
namespace {

using clock_type = std::chrono::steady_clock;

constexpr int stop_wait_ms = 5000;
constexpr int tool_wait_ms = 30000;

}  // namespace

std::string find_program(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::stringstream path(env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
  for (std::string d; std::getline(path, d, ':');) {
    const std::string p = (d.empty() ? "." : d) + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

std::string read_from(const std::string& path, long offset) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  f.seekg(offset);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

long file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : 0;
}

// Last lines of `text`, at most ~4 KB, for failure messages.
std::string tail_of(const std::string& text) {
  constexpr std::size_t max_chars = 4000;
  std::size_t from = text.size() > max_chars ? text.size() - max_chars : 0;
  if (from > 0) {
    const auto nl = text.find('\n', from);
    if (nl != std::string::npos) from = nl + 1;
  }
  return text.substr(from);
}

// Reaps `pid` within `wait_ms`; true once it is gone (ECHILD counts: a SIGCHLD
// of SIG_IGN in the test binary reaps children for us).
bool reap(pid_t pid, int wait_ms, int* status) {
  const auto deadline = clock_type::now() + std::chrono::milliseconds(wait_ms);
  while (true) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      if (status) *status = r == pid ? st : 0;
      return true;
    }
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// fork+exec in its own process group, stdin from /dev/null, stdout and stderr
// appended to `log_path`, no other fds inherited. Returns the pid or -1.
pid_t spawn_child(const std::vector<std::string>& argv, const std::string& log_path,
                  const std::string& cwd) {
  // Everything the child needs is prepared before fork: after it only
  // async-signal-safe calls are allowed (the test binary may be threaded).
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A clean environment: no ETCD_* variable of the caller can shadow our flags.
  char env_path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
  char env_lang[] = "LANG=C";
  char* envp[] = {env_path, env_lang, nullptr};
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    if (log_fd >= 0) ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return -1;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0U, 0);
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(args[0], args.data(), envp);
    ::_exit(127);
  }
  if (pid > 0) ::setpgid(pid, pid);  // also from here: no window where a signal misses the group
  ::close(log_fd);
  ::close(null_fd);
  return pid;
}

// Runs a short tool (openssl) to completion, bounded in time.
bool run_tool(const std::vector<std::string>& argv, const std::string& log_path,
              const std::string& cwd, std::string& why) {
  const pid_t pid = spawn_child(argv, log_path, cwd);
  if (pid < 0) {
    why = "cannot start " + argv[0];
    return false;
  }
  int status = 0;
  if (!reap(pid, tool_wait_ms, &status)) {
    ::kill(-pid, SIGKILL);
    reap(pid, stop_wait_ms);
    why = argv[0] + " timed out";
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += " " + a;
    why = "failed:" + cmd + "\n" + tail_of(read_from(log_path, 0));
    return false;
  }
  return true;
}

bool tcp_connects(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

void signal_and_reap(pid_t& pid, int sig, int wait_ms) {
  if (pid <= 0) return;
  // The group too (our child leads it); safe while the pid is not yet reaped.
  ::kill(-pid, sig);
  ::kill(pid, sig);
  if (reap(pid, wait_ms)) pid = 0;
}

std::string make_temp_dir(const std::string& name_prefix, std::string& why) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + name_prefix + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    why = "mkdtemp " + tmpl + ": " + std::strerror(errno);
    return {};
  }
  ::chmod(tmpl.c_str(), 0700);
  return tmpl;
}

}  // namespace tp::test::child
