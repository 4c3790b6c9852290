// dial_tcp on loopback: direct, through a CONNECT proxy the test runs, and refusals.
#include "transport/tcp_dial.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <thread>

using namespace tp::transport;
using namespace std::chrono_literals;

namespace {

struct listener {
  int fd = -1;
  std::uint16_t port = 0;
  listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~listener() { ::close(fd); }
};

std::string read_head(int c) {
  std::string head;
  char ch = 0;
  while (head.find("\r\n\r\n") == std::string::npos && ::recv(c, &ch, 1, 0) == 1) head += ch;
  return head;
}

}  // namespace

TEST_CASE("dial_tcp: direct and through an HTTP CONNECT proxy", "[tcp_dial]") {
  listener target;
  listener proxy;
  std::string seen_request;
  // The proxy: answers 200, then relays one message from the target back.
  std::thread proxy_thread([&] {
    const int c = ::accept(proxy.fd, nullptr, nullptr);
    REQUIRE(c >= 0);
    seen_request = read_head(c);
    const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    (void)::send(c, ok.data(), ok.size(), MSG_NOSIGNAL);
    (void)::send(c, "hello", 5, MSG_NOSIGNAL);
    ::close(c);
  });
  auto fd = dial_tcp("127.0.0.1", target.port, 5s, connect_proxy{"127.0.0.1", proxy.port});
  proxy_thread.join();
  REQUIRE(fd);
  CHECK(seen_request.rfind("CONNECT 127.0.0.1:" + std::to_string(target.port) + " HTTP/1.1\r\n",
                           0) == 0);
  // Bytes after the proxy's head belong to the tunnelled stream.
  char buf[16] = {};
  REQUIRE(::recv(fd->get(), buf, sizeof buf, 0) == 5);
  CHECK(std::string(buf, 5) == "hello");

  auto direct = dial_tcp("127.0.0.1", target.port, 5s);
  REQUIRE(direct);
}

TEST_CASE("dial_tcp: a proxy refusing CONNECT, and nothing listening", "[tcp_dial]") {
  listener proxy;
  std::thread proxy_thread([&] {
    const int c = ::accept(proxy.fd, nullptr, nullptr);
    REQUIRE(c >= 0);
    (void)read_head(c);
    const std::string no = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    (void)::send(c, no.data(), no.size(), MSG_NOSIGNAL);
    ::close(c);
  });
  auto refused = dial_tcp("10.255.255.1", 3024, 5s, connect_proxy{"127.0.0.1", proxy.port});
  proxy_thread.join();
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.message(), Catch::Contains("refused CONNECT 10.255.255.1:3024: HTTP/1.1 403"));

  std::uint16_t closed_port = 0;
  {
    listener gone;
    closed_port = gone.port;
  }
  auto none = dial_tcp("127.0.0.1", closed_port, 5s);
  REQUIRE_FALSE(none);
  CHECK_THAT(none.message(), Catch::StartsWith("cannot connect to 127.0.0.1:"));
  auto no_proxy = dial_tcp("127.0.0.1", 1, 5s, connect_proxy{"127.0.0.1", closed_port});
  REQUIRE_FALSE(no_proxy);
  CHECK_THAT(no_proxy.message(), Catch::Contains("HTTP proxy at http://127.0.0.1:"));
  CHECK_THAT(no_proxy.message(), Catch::Contains("unreachable"));
}
