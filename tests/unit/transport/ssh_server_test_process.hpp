// Test helper: runs a program (the OpenSSH client, scp...) with a time limit, feeding
// stdin and capturing stdout and stderr apart; optionally on a pty of a given size.
// On timeout the process is killed by pid.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tp::transport::test {

struct proc_result {
  int exit_code = -1;  // -1: killed by a signal or timed out
  int signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
};

struct proc_options {
  std::string stdin_data;
  std::string stdin_file;  // instead of stdin_data
  bool keep_stdin_open = false;
  // Run on a pty of this size (cols, rows): stdin/stdout/stderr are the terminal;
  // stdin_data is typed into it, output arrives in `out`.
  std::optional<std::pair<unsigned short, unsigned short>> pty;
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "LANG=C"};
  int timeout_seconds = 60;
  // Told the pid once the process runs (to kill a background ssh -N).
  std::function<void(pid_t)> on_start;
};

inline void set_nonblock(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

inline proc_result run_process(const std::vector<std::string>& argv, const proc_options& o = {}) {
  proc_result r;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  int master = -1, slave = -1;
  if (o.pty) {
    winsize ws{};
    ws.ws_col = o.pty->first;
    ws.ws_row = o.pty->second;
    if (::openpty(&master, &slave, nullptr, nullptr, &ws) != 0) return r;
  } else {
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) return r;
  }
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : o.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (o.pty) {
      ::setsid();
      ::ioctl(slave, TIOCSCTTY, 0);
      ::dup2(slave, 0);
      ::dup2(slave, 1);
      ::dup2(slave, 2);
    } else {
      if (!o.stdin_file.empty()) {
        const int f = ::open(o.stdin_file.c_str(), O_RDONLY);
        ::dup2(f, 0);
      } else {
        ::dup2(in[0], 0);
      }
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
    }
    ::close_range(3, ~0U, 0);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  if (o.on_start) o.on_start(pid);
  int to_child = -1, from_out = -1, from_err = -1;
  if (o.pty) {
    ::close(slave);
    to_child = from_out = master;
  } else {
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    to_child = in[1];
    from_out = out[0];
    from_err = err[0];
    if (!o.stdin_file.empty()) {
      ::close(to_child);
      to_child = -1;
    }
  }
  set_nonblock(from_out);
  if (from_err >= 0) set_nonblock(from_err);
  if (to_child >= 0) set_nonblock(to_child);
  std::size_t written = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds);
  bool exited = false;
  int wstatus = 0;
  char buf[65536];
  auto finish_input = [&] {
    if (!o.pty && to_child >= 0 && !o.keep_stdin_open) {
      ::close(to_child);
      to_child = -1;
    }
  };
  if (o.stdin_data.empty()) finish_input();
  while (true) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      r.timed_out = true;
    }
    pollfd p[3];
    int n = 0;
    if (from_out >= 0) p[n++] = {from_out, POLLIN, 0};
    if (from_err >= 0) p[n++] = {from_err, POLLIN, 0};
    const bool want_write = to_child >= 0 && written < o.stdin_data.size();
    if (want_write && to_child != from_out) p[n++] = {to_child, POLLOUT, 0};
    if (want_write && to_child == from_out) p[0].events |= POLLOUT;
    if (n == 0) break;
    ::poll(p, n, 100);
    for (int i = 0; i < n; ++i) {
      if (p[i].revents & POLLOUT) {
        const ssize_t w =
            ::write(to_child, o.stdin_data.data() + written, o.stdin_data.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (written == o.stdin_data.size()) finish_input();
      }
      if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t got = ::read(p[i].fd, buf, sizeof buf);
        if (got > 0) {
          (p[i].fd == from_err ? r.err : r.out).append(buf, static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EAGAIN) {
          if (p[i].fd == from_err) {
            ::close(from_err);
            from_err = -1;
          } else {
            ::close(from_out);
            if (to_child == from_out) to_child = -1;
            from_out = -1;
          }
        }
      }
    }
    // A pty master never reports EOF while the child lives: stop once it has exited.
    if (!exited && ::waitpid(pid, &wstatus, WNOHANG) == pid) exited = true;
    if (exited && o.pty) {
      while (true) {
        const ssize_t got = ::read(from_out, buf, sizeof buf);
        if (got <= 0) break;
        r.out.append(buf, static_cast<std::size_t>(got));
      }
      break;
    }
    if (r.timed_out && exited) break;
  }
  for (int fd : {to_child, from_out, from_err})
    if (fd >= 0) ::close(fd);
  if (!exited) ::waitpid(pid, &wstatus, 0);
  if (WIFEXITED(wstatus) && !r.timed_out) r.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) r.signal = WTERMSIG(wstatus);
  return r;
}

}  // namespace tp::transport::test
