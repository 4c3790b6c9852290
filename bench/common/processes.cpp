#include "bench/common/processes.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace tp::bench {
namespace fs = std::filesystem;

namespace {

constexpr auto stop_timeout = std::chrono::seconds{10};

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string errno_text(const char* what) {
  std::string s = what;
  s += ": ";
  s += std::strerror(errno);
  return s;
}

// utime + stime in seconds from a /proc/.../stat line; the comm in `name`.
std::optional<double> stat_cpu(const fs::path& stat_file, std::string* name) {
  std::ifstream in(stat_file);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  if (name) *name = line.substr(open + 1, close - open - 1);
  std::istringstream rest(line.substr(close + 2));
  // Fields after comm start at 3 (state); utime is 14, stime 15.
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return static_cast<double>(utime + stime) / ticks;
}

}  // namespace

double seconds_since(steady::time_point t) {
  return std::chrono::duration<double>(steady::now() - t).count();
}

tp::result<pid_t> spawn(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  const char* out = log.empty() ? "/dev/null" : log.c_str();
  posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::string m = "cannot start " + args[0];
    m += ": ";
    m += std::strerror(rc);
    return tp::make_error(m);
  }
  return pid;
}

tp::result<int> run(const std::vector<std::string>& args, const fs::path& out,
                    std::chrono::seconds timeout) {
  auto pid = spawn(args, out);
  if (!pid) return pid.err();
  const auto deadline = steady::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(*pid, &status, WNOHANG);
    if (r == *pid) return exit_code(status);
    if (r < 0 && errno != EINTR) return tp::make_error(errno_text("waitpid"));
    if (steady::now() >= deadline) {
      ::kill(*pid, SIGKILL);
      while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
      }
      return tp::make_error(args[0] + " did not finish within " + std::to_string(timeout.count()) +
                            " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
}

std::optional<int> daemon_process::poll() {
  if (exited_) return exited_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) exited_ = exit_code(status);
  return exited_;
}

int daemon_process::stop() {
  if (poll()) return *exited_;
  ::kill(pid_, SIGTERM);
  const auto deadline = steady::now() + stop_timeout;
  while (!poll() && steady::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  if (!exited_) {
    std::fprintf(stderr, "bench: %s (pid %d) ignored SIGTERM; killing it\n", name_.c_str(),
                 static_cast<int>(pid_));
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exited_ = exit_code(status);
  }
  return *exited_;
}

tp::result<std::uint16_t> free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return tp::make_error(errno_text("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const std::string why = ok ? std::string() : errno_text("bind 127.0.0.1:0");
  ::close(fd);
  if (!ok) return tp::make_error(why);
  return static_cast<std::uint16_t>(ntohs(addr.sin_port));
}

void print_log_tail(const fs::path& log, std::size_t lines) {
  std::ifstream in(log);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  if (all.empty()) return;
  std::fprintf(stderr, "--- last lines of %s:\n", log.c_str());
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    std::fprintf(stderr, "%s\n", all[i].c_str());
  }
}

tp::result<proc_sample> sample_process(pid_t pid, bool threads) {
  const fs::path dir = fs::path("/proc") / std::to_string(pid);
  proc_sample s;
  s.at = steady::now();
  auto cpu = stat_cpu(dir / "stat", nullptr);
  if (!cpu) return tp::make_error("cannot read " + (dir / "stat").string());
  s.cpu_seconds = *cpu;
  std::ifstream status(dir / "status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::atol(line.c_str() + 6);
  }
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir / "fd", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    ++s.fds;
  }
  if (threads) {
    for (auto it = fs::directory_iterator(dir / "task", ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::string name;
      if (auto t = stat_cpu(it->path() / "stat", &name)) {
        const int tid = std::atoi(it->path().filename().c_str());
        s.thread_cpu[tid] = *t;
        s.thread_name[tid] = name;
      }
    }
  }
  return s;
}

double cores_between(const proc_sample& a, const proc_sample& b) {
  const double wall = std::chrono::duration<double>(b.at - a.at).count();
  return wall > 0 ? (b.cpu_seconds - a.cpu_seconds) / wall : 0;
}

std::string busiest_threads(const proc_sample& a, const proc_sample& b, std::size_t count) {
  const double wall = std::chrono::duration<double>(b.at - a.at).count();
  if (wall <= 0) return {};
  std::vector<std::pair<double, int>> used;
  for (const auto& [tid, cpu] : b.thread_cpu) {
    auto before = a.thread_cpu.find(tid);
    const double start = before == a.thread_cpu.end() ? 0 : before->second;
    used.emplace_back((cpu - start) / wall, tid);
  }
  std::sort(used.rbegin(), used.rend());
  std::string out;
  char buf[96];
  for (std::size_t i = 0; i < used.size() && i < count; ++i) {
    auto name = b.thread_name.find(used[i].second);
    std::snprintf(buf, sizeof buf, "%s%s/%d %.2f", out.empty() ? "" : ", ",
                  name == b.thread_name.end() ? "?" : name->second.c_str(), used[i].second,
                  used[i].first);
    out += buf;
  }
  return out;
}

machine_cpu sample_machine() {
  machine_cpu m;
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;  // the "cpu" line: user nice system idle iowait irq softirq steal ...
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  unsigned long long v = 0;
  for (int i = 0; i < 8 && in >> v; ++i) {
    m.all += static_cast<double>(v) / ticks;
    if (i != 3 && i != 4) m.busy += static_cast<double>(v) / ticks;
  }
  return m;
}

std::uint64_t raise_fd_limit(std::uint64_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  std::uint64_t ceiling = wanted;
  if (std::ifstream nr("/proc/sys/fs/nr_open"); nr) {
    std::uint64_t v = 0;
    if (nr >> v && v > 0) ceiling = std::min<std::uint64_t>(ceiling, v);
  }
  if (lim.rlim_cur < ceiling) {
    rlimit want = lim;
    want.rlim_cur = ceiling;
    want.rlim_max = std::max<rlim_t>(lim.rlim_max, ceiling);
    if (::setrlimit(RLIMIT_NOFILE, &want) != 0) {
      // Not allowed above the hard limit: take what the hard limit gives.
      want.rlim_max = lim.rlim_max;
      want.rlim_cur = lim.rlim_max;
      (void)::setrlimit(RLIMIT_NOFILE, &want);
    }
  }
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

tp::result<std::string> http_get(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return tp::make_error(errno_text("socket"));
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string why = errno_text("connect to the diagnostics address");
    ::close(fd);
    return tp::make_error(why);
  }
  std::string req = "GET " + path;
  req += " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return tp::make_error("cannot send the diagnostics request");
  }
  std::string resp;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      resp.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(fd);
  const auto body = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) {
    return tp::make_error("the diagnostics address sent no HTTP answer");
  }
  return resp.substr(body + 4);
}

double metric_sum(const std::string& text, const std::string& name, const std::string& label) {
  double total = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;  // another metric with this prefix
    if (!label.empty() && line.find(label) == std::string::npos) continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    total += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return total;
}

}  // namespace tp::bench
