// Protocol-level behaviour the OpenSSH client never shows: driven with libssh's client
// API (certificate login), checking that odd or hostile requests are refused or
// bounded and the session stays usable.
#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ssh_server_test_support.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

// A libssh client logged in with the test server's certificate.
struct client {
  ssh_session s = ssh_new();

  explicit client(test_server& t) {
    int port = t.server->port();
    long timeout = 10;
    bool no = false;
    ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s, SSH_OPTIONS_USER, t.login.c_str());
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
    REQUIRE(ssh_connect(s) == SSH_OK);
    ssh_key priv = nullptr, cert = nullptr;
    REQUIRE(ssh_pki_import_privkey_file(t.user.key_file.c_str(), nullptr, nullptr, nullptr,
                                        &priv) == SSH_OK);
    REQUIRE(ssh_pki_import_cert_file(t.user.cert_file.c_str(), &cert) == SSH_OK);
    REQUIRE(ssh_pki_copy_cert_to_privkey(cert, priv) == SSH_OK);
    const int rc = ssh_userauth_publickey(s, nullptr, priv);
    ssh_key_free(cert);
    ssh_key_free(priv);
    REQUIRE(rc == SSH_AUTH_SUCCESS);
  }
  ~client() {
    ssh_disconnect(s);
    ssh_free(s);
  }

  ssh_channel session_channel() {
    ssh_channel c = ssh_channel_new(s);
    if (ssh_channel_open_session(c) != SSH_OK) {
      ssh_channel_free(c);
      return nullptr;
    }
    return c;
  }
};

// Everything the channel sends until EOF (bounded in time).
std::string read_all(ssh_channel c) {
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    const int n = ssh_channel_read_timeout(c, buf, sizeof buf, 0, 500);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 || ssh_channel_is_eof(c)) break;
  }
  return out;
}

// Resident memory of this process (the server runs in it).
std::size_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

void close_channel(ssh_channel c) {
  ssh_channel_send_eof(c);
  ssh_channel_close(c);
  ssh_channel_free(c);
}

}  // namespace

TEST_CASE("ssh server: one program per channel", "[ssh_server]") {
  test_server t;
  client c(t);
  ssh_channel ch = c.session_channel();
  REQUIRE(ch);
  CHECK(ssh_channel_request_exec(ch, "echo one") == SSH_OK);
  CHECK(ssh_channel_request_exec(ch, "echo two") == SSH_ERROR);
  CHECK(ssh_channel_request_shell(ch) == SSH_ERROR);
  CHECK(read_all(ch) == "one\n");
  CHECK(ssh_channel_get_exit_status(ch) == 0);
  close_channel(ch);

  // The session goes on: a new channel works.
  ch = c.session_channel();
  REQUIRE(ch);
  CHECK(ssh_channel_request_exec(ch, "echo again; exit 9") == SSH_OK);
  CHECK(read_all(ch) == "again\n");
  CHECK(ssh_channel_get_exit_status(ch) == 9);
  close_channel(ch);
}

TEST_CASE("ssh server: environment requests are bounded", "[ssh_server]") {
  test_server t;
  client c(t);
  ssh_channel ch = c.session_channel();
  REQUIRE(ch);
  int accepted = 0;
  for (int i = 0; i < 300; ++i)
    accepted += ssh_channel_request_env(ch, "LANG", ("C." + std::to_string(i)).c_str()) == SSH_OK;
  CHECK(accepted == 256);
  CHECK(ssh_channel_request_env(ch, "LD_PRELOAD", "/tmp/evil.so") == SSH_ERROR);
  CHECK(ssh_channel_request_exec(ch, "echo \"$LANG\"; echo \"[$LD_PRELOAD]\"") == SSH_OK);
  CHECK(read_all(ch) == "C.255\n[]\n");
  close_channel(ch);
}

TEST_CASE("ssh server: terminal sizes are clamped and follow window-change", "[ssh_server]") {
  test_server t;
  client c(t);
  ssh_channel ch = c.session_channel();
  REQUIRE(ch);
  CHECK(ssh_channel_request_pty_size(ch, "xterm", 1000000, 1000000) == SSH_OK);
  CHECK(ssh_channel_request_exec(ch, "stty size; read line; stty size") == SSH_OK);
  // Resize once the first size is out, then let the command go on.
  std::string out;
  char buf[256];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (out.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    const int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 200);
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
  }
  CHECK(ssh_channel_change_pty_size(ch, 132, 43) == SSH_OK);
  CHECK(ssh_channel_write(ch, "\n", 1) == 1);
  out += read_all(ch);
  INFO(out);
  CHECK(out.find("10000 10000") != std::string::npos);
  CHECK(out.find("43 132") != std::string::npos);
  close_channel(ch);
}

TEST_CASE("ssh server: signals reach the command", "[ssh_server]") {
  test_server t;
  client c(t);
  ssh_channel ch = c.session_channel();
  REQUIRE(ch);
  CHECK(ssh_channel_request_exec(ch, "trap 'echo got-int; exit 42' INT; sleep 20 & wait") ==
        SSH_OK);
  // Give the shell time to set its trap.
  char buf[16];
  ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 500);
  CHECK(ssh_channel_request_send_signal(ch, "INT") == SSH_OK);
  CHECK(read_all(ch) == "got-int\n");
  CHECK(ssh_channel_get_exit_status(ch) == 42);
  close_channel(ch);
}

TEST_CASE("ssh server: remote forwarding and extra channels are refused", "[ssh_server]") {
  ssh_server_options o;
  o.max_channels_per_session = 3;
  test_server t(o);
  client c(t);
  int bound = 0;
  CHECK(ssh_channel_listen_forward(c.s, "127.0.0.1", 0, &bound) == SSH_ERROR);

  std::vector<ssh_channel> open;
  for (int i = 0; i < 3; ++i) {
    ssh_channel ch = c.session_channel();
    REQUIRE(ch);
    open.push_back(ch);
  }
  CHECK(c.session_channel() == nullptr);
  for (auto ch : open) close_channel(ch);
  // Closed channels free their slots.
  ssh_channel ch = nullptr;
  for (int i = 0; i < 50 && !ch; ++i) {
    ch = c.session_channel();
    if (!ch) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(ch);
  CHECK(ssh_channel_request_exec(ch, "echo ok") == SSH_OK);
  CHECK(read_all(ch) == "ok\n");
  close_channel(ch);
}

TEST_CASE("ssh server: a client that stops reading is throttled, not buffered", "[ssh_server]") {
  test_server t;
  client c(t);
  ssh_channel ch = c.session_channel();
  REQUIRE(ch);
  // 64 MiB of output the client does not read: the server must stop at the window
  // instead of reading it all into memory.
  const std::size_t before = rss_bytes();
  CHECK(ssh_channel_request_exec(ch, "head -c 67108864 /dev/zero; echo done >&2") == SSH_OK);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(rss_bytes() < before + (16u << 20));
  // Reading it all afterwards still works.
  std::size_t total = 0;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    const int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 1000);
    if (n > 0) total += static_cast<std::size_t>(n);
    if (n < 0 || (n == 0 && ssh_channel_is_eof(ch))) break;
  }
  CHECK(total == 67108864u);
  close_channel(ch);
}
