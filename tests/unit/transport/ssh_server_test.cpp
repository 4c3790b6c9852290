// The SSH server driven by the real OpenSSH client over loopback: exec, stdin/stdout/
// stderr, exit codes and signals, ptys, and a large transfer through `cat`.
#include "transport/ssh_server.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "ssh_server_test_support.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const auto v = rng();
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) s[i + j] = static_cast<char>(v >> (8 * j));
  }
  return s;
}

}  // namespace

TEST_CASE("ssh server: exec returns output and exit code", "[ssh_server][openssh]") {
  test_server t;
  auto r = t.ssh("echo hi; exit 3");
  INFO(r.err);
  CHECK(r.out == "hi\n");
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.timed_out);
  std::lock_guard lock(t.handler->mutex);
  REQUIRE(t.handler->logins.size() == 1);
  CHECK(t.handler->logins[0] == t.login + "@127.0.0.1");
}

TEST_CASE("ssh server: stderr stays apart from stdout", "[ssh_server][openssh]") {
  test_server t;
  auto r = t.ssh("echo to-out; echo to-err >&2; echo more-out");
  CHECK(r.out == "to-out\nmore-out\n");
  CHECK(r.err == "to-err\n");
  CHECK(r.exit_code == 0);
}

TEST_CASE("ssh server: stdin is piped to the command", "[ssh_server][openssh]") {
  test_server t;
  proc_options o;
  o.stdin_data = "data\nmore data\n";
  auto r = t.ssh("cat", o);
  CHECK(r.out == "data\nmore data\n");
  CHECK(r.exit_code == 0);

  // EOF reaches the command: wc sees the end of its input.
  o.stdin_data = "a\nb\nc\n";
  r = t.ssh("wc -l", o);
  CHECK(r.out == "3\n");
}

TEST_CASE("ssh server: 20 MiB through cat arrive intact", "[ssh_server][openssh]") {
  test_server t;
  const std::string data = random_bytes(20u << 20, 42);
  const std::string file = t.dir.file("input.bin");
  write_text(file, data);
  proc_options o;
  o.stdin_file = file;
  o.timeout_seconds = 120;
  auto r = t.ssh("cat", o);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  REQUIRE(r.out.size() == data.size());
  CHECK(r.out == data);
}

TEST_CASE("ssh server: the client's environment is filtered", "[ssh_server][openssh]") {
  test_server t;
  proc_options o;
  o.env.push_back("TP_TEST=passed");
  o.env.push_back("TP_SECRET=leaked");
  auto r = t.ssh("echo \"$TP_TEST/$TP_SECRET/$USER\"", o,
                 {"-o", "SendEnv=TP_TEST", "-o", "SendEnv=TP_SECRET"});
  CHECK(r.out == "passed//" + t.login + "\n");

  r = t.ssh("echo \"$SSH_CONNECTION\"");
  CHECK(r.out.rfind("127.0.0.1 ", 0) == 0);
  CHECK(contains(r.out, " 127.0.0.1 " + std::to_string(t.server->port()) + "\n"));
}

TEST_CASE("ssh server: pty exec sees the client's terminal size", "[ssh_server][openssh]") {
  test_server t;
  proc_options o;
  o.pty = {{101, 33}};
  auto r = t.ssh("stty size; tty; echo TERM=$TERM", o, {"-tt"});
  INFO(r.out);
  CHECK(contains(r.out, "33 101"));
  CHECK(contains(r.out, "/dev/pts/"));
  CHECK(contains(r.out, "TERM="));
  CHECK(r.exit_code == 0);
}

TEST_CASE("ssh server: interactive pty shell", "[ssh_server][openssh]") {
  test_server t;
  proc_options o;
  o.pty = {{120, 40}};
  o.stdin_data = "stty size\nexit 7\n";
  auto r = t.ssh("", o, {"-tt"});
  INFO(r.out);
  CHECK(contains(r.out, "40 120"));
  CHECK(r.exit_code == 7);
}

TEST_CASE("ssh server: a command killed by a signal reports it", "[ssh_server][openssh]") {
  test_server t;
  auto r = t.ssh("kill -TERM $$");
  INFO(r.err);
  // OpenSSH exits 255 on exit-signal (and may print the signal).
  CHECK((r.exit_code == 255 || contains(r.err, "signal")));
  CHECK_FALSE(r.timed_out);
}

TEST_CASE("ssh server: an unknown command fails like a shell", "[ssh_server][openssh]") {
  test_server t;
  auto r = t.ssh("no-such-command-tp");
  CHECK(r.exit_code == 127);
  CHECK(contains(r.err, "not found"));
}
