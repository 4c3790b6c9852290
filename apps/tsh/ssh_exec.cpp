#include "apps/tsh/ssh_exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace tp::apps::tsh {

namespace {

std::string double_percent(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

struct fd_pair {
  int r = -1, w = -1;
  ~fd_pair() { close_all(); }
  void close_all() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
    r = w = -1;
  }
};

// Forks argv with stdin = /dev/null and stdout/stderr into the given pipes.
result<pid_t> spawn(const std::vector<std::string>& argv, fd_pair& out, fd_pair& err) {
  int o[2], e[2];
  if (::pipe2(o, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  out.r = o[0];
  out.w = o[1];
  if (::pipe2(e, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  err.r = e[0];
  err.w = e[1];
  auto args = c_argv(argv);
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = ::fork();
  if (pid < 0) return make_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out.w, 1);
    ::dup2(err.w, 2);
    ::execvp(args[0], args.data());
    const std::string msg = "cannot run " + argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  ::close(out.w);
  ::close(err.w);
  out.w = err.w = -1;
  return pid;
}

int wait_child(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return exit_code_of(st);
}

void kill_child(pid_t pid) {
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 20; ++i) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) return;
    ::usleep(50'000);
  }
  ::kill(pid, SIGKILL);
  wait_child(pid);
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Copies a stream to fd line by line with a prefix; a last unterminated line gets a newline.
struct line_prefixer {
  int fd;
  const std::string& prefix;
  std::string pending;

  void feed(std::string_view data) {
    pending.append(data);
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      write_all(fd, prefix + pending.substr(start, nl + 1 - start));
    }
    pending.erase(0, start);
  }
  void finish() {
    if (!pending.empty()) write_all(fd, prefix + pending + "\n");
    pending.clear();
  }
};

}  // namespace

std::string ssh_option_path(const std::filesystem::path& p) {
  std::string s = double_percent(p.string());
  if (s.find_first_of(" \t") != std::string::npos) s = "\"" + s + "\"";
  return s;
}

std::string shell_quote(std::string_view s) {
  const bool plain = !s.empty() && s.find_first_not_of(
                                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_-./:=@,+%") == std::string_view::npos;
  if (plain) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::vector<std::string> identity_options(const ssh_identity& id) {
  return {"-F", "/dev/null",
          "-o", "IdentityFile=" + ssh_option_path(id.key),
          "-o", "CertificateFile=" + ssh_option_path(id.cert),
          "-o", "IdentitiesOnly=yes",
          "-o", "UserKnownHostsFile=" + ssh_option_path(id.known_hosts),
          "-o", "GlobalKnownHostsFile=/dev/null",
          "-o", "StrictHostKeyChecking=yes",
          "-o", "UpdateHostKeys=no"};
}

std::vector<std::string> proxy_ssh_argv(const ssh_identity& id, const proxy_hop& proxy,
                                        const std::string& login, bool forward_agent) {
  std::vector<std::string> argv{"ssh"};
  for (auto& o : identity_options(id)) argv.push_back(std::move(o));
  for (const char* o : {"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o",
                        forward_agent ? "ForwardAgent=yes" : "ForwardAgent=no", "-o",
                        "ClearAllForwardings=yes", "-T"}) {
    argv.emplace_back(o);
  }
  argv.insert(argv.end(), {"-p", std::to_string(proxy.port), "-l", login, proxy.host});
  return argv;
}

std::string proxy_command(const ssh_identity& id, const proxy_hop& proxy,
                          std::string_view ssh_program, bool forward_agent) {
  // ssh expands %-tokens in ProxyCommand before the shell sees it, and the inner ssh
  // expands them again in its file options: fixed parts are escaped for the outer pass
  // (ssh_option_path already did the inner one); the tokens stay live.
  std::vector<std::string> argv = proxy_ssh_argv(id, proxy, "%r", forward_agent);
  argv.front() = std::string(ssh_program);
  std::string cmd;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (!cmd.empty()) cmd += ' ';
    if (i > 0 && argv[i - 1] == "-l") {
      cmd += argv[i];  // the %r token: the login of the outer ssh
    } else {
      cmd += double_percent(shell_quote(argv[i]));
    }
  }
  // The cluster name is the proxy's to check (a DNS-safe token; see is_safe_host_token).
  return cmd + " -s proxy:%h:%p" +
         (proxy.cluster.empty() ? "" : "@" + double_percent(shell_quote(proxy.cluster)));
}

std::vector<std::string> node_options(const ssh_identity& id, const proxy_hop& proxy,
                                      bool forward_agent) {
  auto opts = identity_options(id);
  opts.push_back("-o");
  opts.push_back("ProxyCommand=" + proxy_command(id, proxy, "ssh", forward_agent));
  return opts;
}

std::vector<std::string> with_private_agent(const ssh_identity& id,
                                            const std::vector<std::string>& argv) {
  // ssh-agent runs the command with SSH_AUTH_SOCK set and exits with it; ssh-add
  // loads the key and the "<key>-cert.pub" next to it.
  std::vector<std::string> out{
      "ssh-agent", "sh",
      "-c",        "ssh-add -q \"$1\" 2>/dev/null || exit 255; shift; exec \"$@\"",
      "sh",        id.key.string()};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

status exec_program(const std::vector<std::string>& argv) {
  auto args = c_argv(argv);
  std::cout.flush();
  std::cerr.flush();
  ::execvp(args[0], args.data());
  return make_error("cannot run " + argv[0] + ": " + std::strerror(errno) +
                    (errno == ENOENT ? " (install the OpenSSH client)" : ""));
}

result<captured> run_captured(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout, std::size_t max_output) {
  fd_pair out, err;
  auto pid = spawn(argv, out, err);
  if (!pid) return pid.err();
  captured c;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.r >= 0 || err.r >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill_child(*pid);
      return make_error(argv[0] + " did not finish within " +
                        std::to_string(timeout.count() / 1000) + "s");
    }
    pollfd fds[2] = {{out.r, POLLIN, 0}, {err.r, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      kill_child(*pid);
      return make_error(std::string("poll: ") + std::strerror(errno));
    }
    int* fdp[2] = {&out.r, &err.r};
    std::string* sink[2] = {&c.out, &c.err};
    for (int i = 0; i < 2; ++i) {
      if (*fdp[i] < 0 || fds[i].revents == 0) continue;
      char buf[16384];
      const ssize_t got = ::read(*fdp[i], buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ::close(*fdp[i]);
        *fdp[i] = -1;
        continue;
      }
      sink[i]->append(buf, static_cast<std::size_t>(got));
      if (c.out.size() + c.err.size() > max_output) {
        kill_child(*pid);
        return make_error(argv[0] + " wrote more than " + std::to_string(max_output) + " bytes");
      }
    }
  }
  c.exit_code = wait_child(*pid);
  return c;
}

result<int> run_prefixed(const std::vector<std::string>& argv, const std::string& prefix) {
  fd_pair out, err;
  auto pid = spawn(argv, out, err);
  if (!pid) return pid.err();
  line_prefixer po{1, prefix, {}}, pe{2, prefix, {}};
  while (out.r >= 0 || err.r >= 0) {
    pollfd fds[2] = {{out.r, POLLIN, 0}, {err.r, POLLIN, 0}};
    const int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    int* fdp[2] = {&out.r, &err.r};
    line_prefixer* sink[2] = {&po, &pe};
    for (int i = 0; i < 2; ++i) {
      if (*fdp[i] < 0 || fds[i].revents == 0) continue;
      char buf[16384];
      const ssize_t got = ::read(*fdp[i], buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ::close(*fdp[i]);
        *fdp[i] = -1;
        sink[i]->finish();
        continue;
      }
      sink[i]->feed(std::string_view(buf, static_cast<std::size_t>(got)));
    }
  }
  po.finish();
  pe.finish();
  return wait_child(*pid);
}

}  // namespace tp::apps::tsh
