// Channels beyond a single exec: TCP forwarding (direct-tcpip), the sftp subsystem,
// agent forwarding, and many sessions at once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <thread>

#include "ssh_server_test_support.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

int listen_loopback(std::uint16_t port = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A TCP echo server on 127.0.0.1: one thread, one connection at a time; each
// connection is echoed until the client's EOF, then closed.
class echo_server {
 public:
  echo_server() : fd_(listen_loopback()), thread_([this] { run(); }) {}
  ~echo_server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_of(fd_); }
  int connections() const { return connections_; }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++connections_;
      char buf[16384];
      while (!stop_) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 50) <= 0) continue;
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        if (::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
      }
      ::close(c);
    }
  }
  int fd_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string read_some(int fd, std::size_t want, std::chrono::milliseconds limit) {
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

}  // namespace

TEST_CASE("ssh server: direct-tcpip with ssh -W", "[ssh_server][openssh]") {
  test_server t;
  echo_server echo;
  proc_options o;
  o.stdin_data = "hello through the tunnel\n";
  auto r = t.ssh("", o, {"-W", "127.0.0.1:" + std::to_string(echo.port())});
  INFO(r.err);
  CHECK(r.out == "hello through the tunnel\n");
  CHECK(r.exit_code == 0);

  // By name: resolved off the reactor thread.
  r = t.ssh("", o, {"-W", "localhost:" + std::to_string(echo.port())});
  CHECK(r.out == "hello through the tunnel\n");
}

TEST_CASE("ssh server: direct-tcpip with ssh -L", "[ssh_server][openssh]") {
  test_server t;
  echo_server echo;
  // A free local port for the forward.
  const int probe = listen_loopback();
  const std::uint16_t local = port_of(probe);
  ::close(probe);

  std::atomic<pid_t> ssh_pid{0};
  proc_options o;
  o.keep_stdin_open = true;
  o.timeout_seconds = 30;
  o.on_start = [&](pid_t p) { ssh_pid = p; };
  proc_result forward;
  std::thread runner([&] {
    forward = run_process(
        t.ssh_args(t.user,
                   {"-N", "-o", "ExitOnForwardFailure=yes", "-L",
                    std::to_string(local) + ":127.0.0.1:" + std::to_string(echo.port())},
                   ""),
        o);
  });
  int fd = -1;
  for (int i = 0; i < 200 && fd < 0; ++i) {
    fd = connect_to(local);
    if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string got;
  if (fd >= 0) {
    const std::string msg = "ping over -L";
    CHECK(::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL) == ssize_t(msg.size()));
    got = read_some(fd, msg.size(), std::chrono::seconds(10));
    ::close(fd);
  }
  while (ssh_pid == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ::kill(ssh_pid, SIGTERM);
  runner.join();
  INFO(forward.err);
  REQUIRE(fd >= 0);
  CHECK(got == "ping over -L");
  CHECK(echo.connections() == 1);
}

TEST_CASE("ssh server: direct-tcpip to a closed port ends the channel", "[ssh_server][openssh]") {
  test_server t;
  const int probe = listen_loopback();
  const std::uint16_t closed = port_of(probe);
  ::close(probe);
  proc_options o;
  o.stdin_data = "anyone?\n";
  o.keep_stdin_open = true;
  o.timeout_seconds = 20;
  auto r = t.ssh("", o, {"-W", "127.0.0.1:" + std::to_string(closed)});
  CHECK_FALSE(r.timed_out);
  CHECK(r.out.empty());
}

TEST_CASE("ssh server: sftp subsystem (scp) copies files intact", "[ssh_server][openssh]") {
  test_server t;
  std::string data;
  for (int i = 0; i < 200000; ++i) data += std::to_string(i * 7919) + (i % 13 ? " " : "\n");
  const std::string src = t.dir.file("upload.txt");
  write_text(src, data);
  const std::string remote = t.dir.file("remote.txt");
  const std::string back = t.dir.file("download.txt");
  auto scp = [&](const std::string& from, const std::string& to) {
    std::vector<std::string> a = {"scp",
                                  "-F",
                                  "/dev/null",
                                  "-P",
                                  std::to_string(t.server->port()),
                                  "-i",
                                  t.user.key_file,
                                  "-o",
                                  "CertificateFile=" + t.user.cert_file,
                                  "-o",
                                  "IdentitiesOnly=yes",
                                  "-o",
                                  "IdentityAgent=none",
                                  "-o",
                                  "StrictHostKeyChecking=no",
                                  "-o",
                                  "UserKnownHostsFile=/dev/null",
                                  "-o",
                                  "BatchMode=yes",
                                  "-o",
                                  "LogLevel=ERROR",
                                  from,
                                  to};
    return run_process(a);
  };
  auto up = scp(src, t.login + "@127.0.0.1:" + remote);
  INFO(up.err);
  CHECK(up.exit_code == 0);
  CHECK(read_text(remote) == data);
  auto down = scp(t.login + "@127.0.0.1:" + remote, back);
  INFO(down.err);
  CHECK(down.exit_code == 0);
  CHECK(read_text(back) == data);
}

TEST_CASE("ssh server: unknown subsystems are refused", "[ssh_server][openssh]") {
  test_server t;
  auto r = t.ssh("no-such-subsystem", {}, {"-s"});
  CHECK(r.exit_code == 255);
  CHECK(contains(r.err, "subsystem request failed"));
}

TEST_CASE("ssh server: agent forwarding reaches the client's agent", "[ssh_server][openssh]") {
  test_server t;
  const std::string sock = t.dir.file("agent.sock");
  auto agent = run_process({"ssh-agent", "-a", sock, "-s"});
  REQUIRE(agent.exit_code == 0);
  const auto pos = agent.out.find("SSH_AGENT_PID=");
  REQUIRE(pos != std::string::npos);
  const pid_t agent_pid = std::stoi(agent.out.substr(pos + 14));
  proc_options with_agent;
  with_agent.env.push_back("SSH_AUTH_SOCK=" + sock);
  auto add = run_process({"ssh-add", t.user.key_file}, with_agent);
  CHECK(add.exit_code == 0);

  // The client forwards the agent it uses itself (IdentityAgent), so point it there.
  auto args = t.ssh_args(t.user, {"-A"}, "ssh-add -l; echo \"sock=$SSH_AUTH_SOCK\"");
  for (auto& a : args)
    if (a == "IdentityAgent=none") a = "IdentityAgent=" + sock;
  auto r = run_process(args, with_agent);
  ::kill(agent_pid, SIGTERM);
  INFO(r.err);
  CHECK(contains(r.out, t.user_key.pub().fingerprint()));
  CHECK(contains(r.out, "sock=/"));
  CHECK(r.exit_code == 0);

  // Without -A the session gets no agent socket.
  r = t.ssh("echo \"sock=$SSH_AUTH_SOCK\"");
  CHECK(r.out == "sock=\n");
}

TEST_CASE("ssh server: 50 concurrent sessions", "[ssh_server][openssh]") {
  test_server t;
  constexpr int n = 50;
  std::vector<proc_result> results(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      proc_options o;
      o.timeout_seconds = 90;
      results[i] = t.ssh("echo session-" + std::to_string(i), o);
    });
  for (auto& th : threads) th.join();
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    INFO("session " << i << ": " << results[i].err);
    CHECK(results[i].out == "session-" + std::to_string(i) + "\n");
    CHECK(results[i].exit_code == 0);
    ok += results[i].exit_code == 0;
  }
  CHECK(ok == n);
  // Every connection ends once its client is gone (the sweep runs every second).
  for (int i = 0; i < 50 && t.server->session_count() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(t.server->session_count() == 0);
}
