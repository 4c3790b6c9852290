#include "transport/listener_set.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

using namespace tp::transport;

namespace {

std::uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

ino_t inode_of(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  return st.st_ino;
}

}  // namespace

TEST_CASE("inherited listener lists parse and format, malformed ones are refused",
          "[listener_set]") {
  auto l = parse_inherited_listeners("127.0.0.1:3022=5;[::1]:3080=7;0.0.0.0:3025=12");
  REQUIRE(l);
  REQUIRE(l->size() == 3);
  CHECK((*l)[1].key == "[::1]:3080");
  CHECK((*l)[1].fd == 7);
  CHECK(format_inherited_listeners(*l) == "127.0.0.1:3022=5;[::1]:3080=7;0.0.0.0:3025=12");
  CHECK(parse_inherited_listeners("")->empty());
  for (const char* bad : {"127.0.0.1:3022", "=5", "127.0.0.1:3022=x", "127.0.0.1:3022=1",
                          "127.0.0.1:3022=5x", "a=5;b=-3"}) {
    INFO(bad);
    auto r = parse_inherited_listeners(bad);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.message(), Catch::Contains("malformed inherited listener"));
  }
}

TEST_CASE("a restarted process takes over the inherited socket of the same address",
          "[listener_set]") {
  // The "previous process": a listener on some port, passed by fd number.
  auto first = listen_tcp("127.0.0.1", 0, 16);
  REQUIRE(first);
  const auto port = port_of(first->get());
  const std::string key = "127.0.0.1:" + std::to_string(port);
  const int fd = ::fcntl(first->get(), F_DUPFD, 10);
  REQUIRE(fd >= 10);
  const auto inode = inode_of(fd);
  // And a pipe that claims to be one, and a socket bound to another port.
  int p[2];
  REQUIRE(::pipe(p) == 0);
  auto other = listen_tcp("127.0.0.1", 0, 16);
  REQUIRE(other);
  const int other_fd = ::fcntl(other->get(), F_DUPFD, 10);
  const std::string env = key + "=" + std::to_string(fd) + ";127.0.0.1:1=" + std::to_string(p[0]) +
                          ";127.0.0.1:2=" + std::to_string(other_fd);
  ::setenv(k_inherited_listeners_env, env.c_str(), 1);

  const auto warnings = adopt_inherited_listeners();
  CHECK(std::getenv(k_inherited_listeners_env) == nullptr);  // never reaches sessions
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Catch::Contains("not a stream socket"));
  CHECK_THAT(warnings[1], Catch::Contains("not 127.0.0.1:2"));
  CHECK(::fcntl(fd, F_GETFD) & FD_CLOEXEC);

  auto taken = listen_tcp("127.0.0.1", port, 16);
  REQUIRE(taken);
  CHECK(taken->get() == fd);
  CHECK(inode_of(taken->get()) == inode);
  // The set keeps its own duplicate for the next restart.
  bool listed = false;
  for (const auto& l : listeners_for_child()) listed = listed || l.key == key;
  CHECK(listed);

  // A service started again in this process gets the same socket back.
  taken->reset();
  auto again = listen_tcp("127.0.0.1", port, 16);
  REQUIRE(again);
  CHECK(inode_of(again->get()) == inode);

  // stop_accepting() runs every registered server's stop, then forgets the set.
  int stopped = 0;
  {
    auto h = on_stop_accepting([&] { ++stopped; });
    auto gone = on_stop_accepting([&] { stopped += 100; });
    gone.reset();  // unregistered servers are not called
    stop_accepting();
  }
  CHECK(stopped == 1);
  CHECK(listeners_for_child().empty());
  ::close(p[1]);
}

TEST_CASE("listen_tcp names the address it cannot use", "[listener_set]") {
  auto a = listen_tcp("127.0.0.1", 0, 16);
  REQUIRE(a);
  auto taken = listen_tcp("127.0.0.1", port_of(a->get()), 16);
  // SO_REUSEADDR does not let two listeners share a port.
  REQUIRE_FALSE(taken);
  CHECK_THAT(taken.message(), Catch::Contains("cannot listen on 127.0.0.1:"));
  auto bad = listen_tcp("not-an-ip", 0, 16);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("an IP address is needed"));
}
