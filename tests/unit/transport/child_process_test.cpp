#include "transport/child_process.hpp"

#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>

#include "openssh_tools.hpp"

using namespace tp::transport;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Reads fd until EOF (or EIO from a pty) within a time limit.
std::string read_all(int fd, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EAGAIN) continue;
    break;
  }
  return out;
}

exit_info wait_exit(child_process& c, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{c.exit_fd(), POLLIN, 0};
    ::poll(&p, 1, 50);
    if (auto e = c.try_wait()) return *e;
  }
  FAIL("child did not exit in time");
  return {};
}

spawn_options sh(const std::string& command) {
  spawn_options o;
  o.argv = {"/bin/sh", "-c", command};
  o.env = {"PATH=/usr/bin:/bin", "TP_VAR=value"};
  return o;
}

}  // namespace

TEST_CASE("child_process: pipes, environment, exit code", "[child_process]") {
  auto c = child_process::spawn(sh("echo out; echo err >&2; echo \"$TP_VAR\"; exit 4"));
  REQUIRE(c);
  CHECK_FALSE(c->has_pty());
  CHECK(c->stderr_fd() >= 0);
  CHECK(read_all(c->stdout_fd()) == "out\nvalue\n");
  CHECK(read_all(c->stderr_fd()) == "err\n");
  const auto e = wait_exit(*c);
  CHECK_FALSE(e.signaled);
  CHECK(e.code == 4);
  // The result stays available.
  REQUIRE(c->exit());
  CHECK(c->exit()->code == 4);
}

TEST_CASE("child_process: stdin and EOF", "[child_process]") {
  auto c = child_process::spawn(sh("tr a-z A-Z"));
  REQUIRE(c);
  const std::string msg = "shout\n";
  CHECK(::write(c->stdin_fd(), msg.data(), msg.size()) == ssize_t(msg.size()));
  c->close_stdin();
  CHECK(c->stdin_fd() == -1);
  CHECK(read_all(c->stdout_fd()) == "SHOUT\n");
  CHECK(wait_exit(*c).code == 0);
}

TEST_CASE("child_process: nothing else is inherited", "[child_process]") {
  // An fd of ours without close-on-exec must not reach the child.
  int p[2];
  REQUIRE(::pipe(p) == 0);
  auto c = child_process::spawn(sh("ls /proc/self/fd | wc -l; env | wc -l"));
  REQUIRE(c);
  const std::string out = read_all(c->stdout_fd());
  ::close(p[0]);
  ::close(p[1]);
  // 0, 1, 2 and the fd ls uses to read the directory; TP_VAR and PATH (+ sh's own).
  CHECK(out.substr(0, 2) == "4\n");
  wait_exit(*c);
}

TEST_CASE("child_process: signals and kill on destruction", "[child_process]") {
  auto c = child_process::spawn(sh("sleep 30"));
  REQUIRE(c);
  REQUIRE(c->signal(SIGTERM));
  const auto e = wait_exit(*c);
  CHECK(e.signaled);
  CHECK(e.signal == SIGTERM);
  CHECK(signal_name(e.signal) == "TERM");
  CHECK_FALSE(c->signal(SIGTERM));  // gone

  // A running child is killed when its owner goes away.
  pid_t pid;
  {
    auto d = child_process::spawn(sh("sleep 30"));
    REQUIRE(d);
    pid = d->pid();
  }
  CHECK(::kill(pid, 0) != 0);
}

TEST_CASE("child_process: pty with size and resize", "[child_process]") {
  auto o = sh("stty size; read line; stty size; tty");
  o.pty = pty_size{91, 27};
  auto c = child_process::spawn(o);
  REQUIRE(c);
  CHECK(c->has_pty());
  CHECK(c->stdin_fd() == c->stdout_fd());
  CHECK(c->stderr_fd() == -1);
  std::string out;
  for (int i = 0; i < 100 && !contains(out, "27 91"); ++i)
    out += read_all(c->stdout_fd(), std::chrono::milliseconds(50));
  CHECK(contains(out, "27 91"));
  REQUIRE(c->resize(pty_size{132, 50}));
  const std::string line = "go\n";
  CHECK(::write(c->stdin_fd(), line.data(), line.size()) == 3);
  out += read_all(c->stdout_fd());
  CHECK(contains(out, "50 132"));
  CHECK(contains(out, "/dev/pts/"));
  CHECK(wait_exit(*c).code == 0);
}

TEST_CASE("child_process: argv helpers and signal names", "[child_process]") {
  os_user u;
  u.name = "joe";
  u.shell = "/bin/bash";
  CHECK(shell_command_argv(u, "ls -l") == std::vector<std::string>{"/bin/bash", "-c", "ls -l"});
  CHECK(login_shell_argv(u) == std::vector<std::string>{"-bash"});
  CHECK(signal_from_name("INT") == SIGINT);
  CHECK(signal_from_name("SIGINT") == 0);
  CHECK(signal_from_name("") == 0);
  CHECK(signal_name(SIGKILL) == "KILL");
  CHECK(signal_name(12345).empty());
}

TEST_CASE("child_process: login shell via program", "[child_process]") {
  spawn_options o;
  o.program = "/bin/sh";
  o.argv = {"-sh", "-c", "echo $0"};
  auto c = child_process::spawn(o);
  REQUIRE(c);
  CHECK(read_all(c->stdout_fd()) == "-sh\n");
  wait_exit(*c);
}

TEST_CASE("child_process: working directory", "[child_process]") {
  tp::transport::test::temp_dir dir;
  auto o = sh("pwd");
  o.working_dir = dir.path().string();
  auto c = child_process::spawn(o);
  REQUIRE(c);
  CHECK(read_all(c->stdout_fd()) == dir.path().string() + "\n");
  wait_exit(*c);

  o.working_dir = "/nonexistent/dir";
  auto bad = child_process::spawn(o);
  REQUIRE_FALSE(bad);
  CHECK(contains(bad.message(), "/nonexistent/dir"));
}

TEST_CASE("child_process: other users", "[child_process]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root");
    return;
  }
  auto nobody = lookup_os_user("nobody");
  REQUIRE(nobody);
  auto o = sh("id -u; id -g; pwd");
  o.user = "nobody";
  o.working_dir = "/";
  auto c = child_process::spawn(o);
  REQUIRE(c);
  CHECK(read_all(c->stdout_fd()) ==
        std::to_string(nobody->uid) + "\n" + std::to_string(nobody->gid) + "\n/\n");
  wait_exit(*c);

  // The same user as ours: no switch needed.
  auto me = current_os_user();
  REQUIRE(me);
  o = sh("id -u");
  o.user = me->name;
  c = child_process::spawn(o);
  REQUIRE(c);
  CHECK(read_all(c->stdout_fd()) == std::to_string(::geteuid()) + "\n");
  wait_exit(*c);
}

TEST_CASE("child_process: bad input fails clearly", "[child_process]") {
  auto o = sh("true");
  o.user = "no-such-user-tp";
  auto c = child_process::spawn(o);
  REQUIRE_FALSE(c);
  CHECK(contains(c.message(), "unknown OS user 'no-such-user-tp'"));

  o.user = std::string("evil\nname");
  c = child_process::spawn(o);
  REQUIRE_FALSE(c);
  CHECK(contains(c.message(), "evil?name"));

  spawn_options none;
  c = child_process::spawn(none);
  REQUIRE_FALSE(c);
  CHECK(contains(c.message(), "no command"));

  spawn_options missing;
  missing.argv = {"no-such-program-tp"};
  missing.env = {"PATH=/usr/bin:/bin"};
  c = child_process::spawn(missing);
  REQUIRE_FALSE(c);
  CHECK(contains(c.message(), "command not found"));

  missing.argv = {"/etc/passwd"};  // not executable: exec fails in the child
  c = child_process::spawn(missing);
  REQUIRE_FALSE(c);
  CHECK(contains(c.message(), "cannot execute /etc/passwd"));

  CHECK_FALSE(lookup_os_user(""));
  CHECK_FALSE(lookup_os_user("a/b"));
}
