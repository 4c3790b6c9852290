// Who gets in: only user certificates from the trusted CA, for the right login, valid
// now and from the right address. Everything else is refused and reported for audit;
// slow or hostile clients are dropped.
#include <arpa/inet.h>
#include <libssh/libssh.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "ssh_server_test_support.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// True if some recorded failure's reason contains `part`.
bool failed_with(test_server& t, const std::string& part) {
  for (const auto& f : t.handler->failures_copy())
    if (contains(f.reason, part)) return true;
  return false;
}

void expect_refused(test_server& t, const user_identity& id, const std::string& reason) {
  auto r = run_process(t.ssh_args(id, {}, "echo should-not-run"));
  INFO(r.err);
  CHECK(r.exit_code == 255);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "Permission denied"));
  CHECK(failed_with(t, reason));
  std::lock_guard lock(t.handler->mutex);
  CHECK(t.handler->logins.empty());
}

int connect_tcp(std::uint16_t port) {
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

// Reads until EOF or the deadline; returns true on EOF.
bool reads_to_eof(int fd, std::chrono::milliseconds limit, std::string* got = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return true;
    if (got) got->append(buf, static_cast<std::size_t>(n));
  }
  return false;
}

// A libssh client session, connected (host key not checked: test only).
struct libssh_client {
  ssh_session s = ssh_new();
  libssh_client(std::uint16_t port, const std::string& user) {
    int p = port;
    long timeout = 10;
    ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
    ssh_options_set(s, SSH_OPTIONS_PORT, &p);
    ssh_options_set(s, SSH_OPTIONS_USER, user.c_str());
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
    bool no = false;
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  }
  ~libssh_client() {
    ssh_disconnect(s);
    ssh_free(s);
  }
};

}  // namespace

TEST_CASE("ssh server: a plain key without certificate is refused", "[ssh_server][openssh]") {
  test_server t;
  const auto id = write_identity(t.dir, "id_plain", make_key(), nullptr, {});
  expect_refused(t, id, "only certificates are accepted");
}

TEST_CASE("ssh server: a certificate from another CA is refused", "[ssh_server][openssh]") {
  test_server t;
  const key_pair other_ca = make_key();
  cert_spec spec;
  spec.principals = {t.login};
  const auto id = write_identity(t.dir, "id_other", make_key(), &other_ca, spec);
  expect_refused(t, id, "CA");
}

TEST_CASE("ssh server: a certificate for another login is refused", "[ssh_server][openssh]") {
  test_server t;
  cert_spec spec;
  spec.principals = {"alice", "bob"};
  const auto id = write_identity(t.dir, "id_alice", make_key(), &t.ca, spec);
  expect_refused(t, id, "principal");
}

TEST_CASE("ssh server: an expired certificate is refused", "[ssh_server][openssh]") {
  test_server t;
  cert_spec spec;
  spec.principals = {t.login};
  spec.valid_from_offset = -7200;
  spec.valid_to_offset = -3600;
  const auto id = write_identity(t.dir, "id_expired", make_key(), &t.ca, spec);
  expect_refused(t, id, "expired");
}

TEST_CASE("ssh server: source-address is enforced", "[ssh_server][openssh]") {
  test_server t;
  cert_spec spec;
  spec.principals = {t.login};
  spec.critical_options = {{"source-address", "10.9.8.7/32"}};
  const auto far = write_identity(t.dir, "id_far", make_key(), &t.ca, spec);
  expect_refused(t, far, "source");

  spec.critical_options = {{"source-address", "10.9.8.7/32,127.0.0.0/8"}};
  const auto near = write_identity(t.dir, "id_near", make_key(), &t.ca, spec);
  auto r = run_process(t.ssh_args(near, {}, "echo in"));
  CHECK(r.out == "in\n");
}

TEST_CASE("ssh server: passwords are refused and audited", "[ssh_server]") {
  ssh_server_options o;
  o.max_auth_tries = 3;
  test_server t(o);
  libssh_client c(t.server->port(), t.login);
  REQUIRE(ssh_connect(c.s) == SSH_OK);
  CHECK(ssh_userauth_none(c.s, nullptr) == SSH_AUTH_DENIED);
  // Only publickey is offered.
  CHECK(ssh_userauth_list(c.s, nullptr) == SSH_AUTH_METHOD_PUBLICKEY);
  CHECK(ssh_userauth_password(c.s, nullptr, "secret") == SSH_AUTH_DENIED);
  const auto failures = t.handler->failures_copy();
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].method == "password");
  CHECK(failures[0].user == t.login);
  CHECK(failures[0].peer_address == "127.0.0.1");
  CHECK(contains(failures[0].reason, "not allowed"));

  // Two more failures reach max_auth_tries: the server hangs up.
  CHECK(ssh_userauth_password(c.s, nullptr, "again") == SSH_AUTH_DENIED);
  ssh_userauth_password(c.s, nullptr, "third");
  const int rc = ssh_userauth_password(c.s, nullptr, "fourth");
  CHECK(rc == SSH_AUTH_ERROR);
  CHECK(t.handler->failures_copy().size() == 3);
}

TEST_CASE("ssh server: a client that does not authenticate in time is dropped", "[ssh_server]") {
  ssh_server_options o;
  o.auth_timeout = std::chrono::milliseconds(300);
  test_server t(o);
  const int fd = connect_tcp(t.server->port());
  REQUIRE(fd >= 0);
  std::string banner;
  // The server speaks first, then gives up on us within the timeout (+ its 1 s sweep).
  CHECK(reads_to_eof(fd, std::chrono::seconds(5), &banner));
  ::close(fd);
  CHECK(banner.rfind("SSH-2.0-", 0) == 0);
  CHECK(failed_with(t, "not authenticated in time"));
  for (int i = 0; i < 40 && t.server->session_count() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(t.server->session_count() == 0);
}

TEST_CASE("ssh server: garbage instead of SSH is dropped, service continues",
          "[ssh_server][openssh]") {
  test_server t;
  for (const std::string& junk :
       {std::string("GET / HTTP/1.0\r\n\r\n"),
        std::string("SSH-2.0-x\r\n") + std::string(70000, '\xff'), std::string(3, '\0')}) {
    const int fd = connect_tcp(t.server->port());
    REQUIRE(fd >= 0);
    [[maybe_unused]] auto n = ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    CHECK(reads_to_eof(fd, std::chrono::seconds(5)));
    ::close(fd);
  }
  auto r = t.ssh("echo still-up");
  CHECK(r.out == "still-up\n");
}

TEST_CASE("ssh server: connections beyond max_connections are closed", "[ssh_server]") {
  ssh_server_options o;
  o.max_connections = 2;
  test_server t(o);
  const int a = connect_tcp(t.server->port());
  const int b = connect_tcp(t.server->port());
  // Both are taken (the server greets them).
  std::string ga, gb;
  for (int i = 0; i < 100 && (ga.empty() || gb.empty()); ++i) {
    reads_to_eof(a, std::chrono::milliseconds(20), &ga);
    reads_to_eof(b, std::chrono::milliseconds(20), &gb);
  }
  CHECK(ga.rfind("SSH-2.0-", 0) == 0);
  CHECK(gb.rfind("SSH-2.0-", 0) == 0);
  const int c = connect_tcp(t.server->port());
  std::string gc;
  CHECK(reads_to_eof(c, std::chrono::seconds(5), &gc));
  CHECK(gc.empty());
  for (int fd : {a, b, c}) ::close(fd);
}

TEST_CASE("ssh server: bad options are refused with clear errors", "[ssh_server]") {
  auto reactor = ssh_reactor::start({});
  REQUIRE(reactor);
  auto handler = std::make_shared<test_handler>(make_key().pub());
  ssh_server_options o;
  auto s = ssh_server::start(**reactor, o, handler);
  REQUIRE_FALSE(s);
  CHECK(contains(s.message(), "host key"));

  o.host_keys.push_back(make_key());
  o.listen_address = "not-an-ip";
  s = ssh_server::start(**reactor, o, handler);
  REQUIRE_FALSE(s);
  CHECK(contains(s.message(), "not-an-ip"));

  o.listen_address = "127.0.0.1";
  o.ciphers = "rot13-cbc";
  s = ssh_server::start(**reactor, o, handler);
  REQUIRE_FALSE(s);
  CHECK(contains(s.message(), "rot13-cbc"));

  o.ciphers.clear();
  o.host_key_files = {"/nonexistent/host_key"};
  s = ssh_server::start(**reactor, o, handler);
  REQUIRE_FALSE(s);
  CHECK(contains(s.message(), "/nonexistent/host_key"));
}

TEST_CASE("ssh server: host key from a file and restricted algorithms", "[ssh_server][openssh]") {
  temp_dir keys;
  const std::string host_key = keys.file("host_ecdsa");
  REQUIRE(write_openssh_private_key_file(host_key, make_key(key_type::ecdsa_p256)));
  ssh_server_options o;
  o.host_key_files = {host_key};
  o.ciphers = "aes256-gcm@openssh.com";
  o.kex_algorithms = "curve25519-sha256";
  test_server t(o);
  auto r = t.ssh("echo ok", {}, {"-v"});
  CHECK(r.out == "ok\n");
  CHECK(contains(r.err, "aes256-gcm@openssh.com"));
  CHECK(contains(r.err, "ecdsa-sha2-nistp256"));
}
