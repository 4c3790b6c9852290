#include "actors/node/label_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <cerrno>
#include <cstring>

#include "actors/host/host_atoms.hpp"

namespace tp::actors {

tp::result<std::string> run_label_command(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout) {
  if (argv.empty()) return tp::make_error("no command");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return tp::make_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return tp::make_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 2);
    }
    ::dup2(fds[1], 1);
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the daemon blocks its signals
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      timed_out = r == 0;
      break;
    }
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() < 64 * 1024) out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return tp::make_error("timed out");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return tp::make_error(WIFEXITED(status) && WEXITSTATUS(status) == 127
                              ? "cannot run " + argv[0]
                              : "exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  const auto first = out.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::string();
  const auto last = out.find_last_not_of(" \t\r\n");
  out = out.substr(first, last - first + 1);
  if (out.size() > label_value_max) out.resize(label_value_max);
  return out;
}

namespace {

using run_atom = caf::atom_constant<caf::atom("tp_run")>;

caf::behavior label_command(caf::event_based_actor* self, caf::actor report_to,
                            config::command_label label) {
  self->send(self, run_atom::value);
  return {[=](run_atom) {
    auto value = run_label_command(
        label.command, std::min<std::chrono::milliseconds>(label.period, label_command_timeout));
    if (value) {
      self->send(report_to, label_atom::value, label.name, *value);
    } else {
      spdlog::warn("command label {}: {}", label.name, value.message());
      self->send(report_to, label_atom::value, label.name, std::string("<error>"));
    }
    self->delayed_send(self, label.period, run_atom::value);
  }};
}

}  // namespace

caf::actor spawn_label_command(caf::actor_system& sys, const caf::actor& report_to,
                               config::command_label label) {
  return sys.spawn<caf::detached>(label_command, report_to, std::move(label));
}

}  // namespace tp::actors
