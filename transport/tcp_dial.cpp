#include "transport/tcp_dial.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace tp::transport {

namespace {

using clock = std::chrono::steady_clock;

std::string host_port(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int remaining_ms(clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

status wait_for(int fd, short events, clock::time_point deadline, const std::string& what) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int ms = remaining_ms(deadline);
    if (ms == 0) return make_error("timed out " + what);
    const int rc = ::poll(&p, 1, ms);
    if (rc > 0) return {};
    if (rc < 0 && errno != EINTR) return make_error(what + ": " + std::strerror(errno));
  }
}

status send_all(int fd, std::string_view data, clock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return make_error(std::string("sending: ") + std::strerror(errno));
    if (auto st = wait_for(fd, POLLOUT, deadline, "sending"); !st) return st;
  }
  return {};
}

namespace {

result<unique_fd> connect_direct(const std::string& host, std::uint16_t port,
                                 clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string where = host_port(host, port);
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    return make_error("cannot connect to " + where + ": cannot resolve " + host);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> hold(res, &::freeaddrinfo);
  std::string last = "no address";
  for (auto* a = res; a; a = a->ai_next) {
    unique_fd fd(::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) continue;
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = std::strerror(errno);
      continue;
    }
    if (auto st = wait_for(fd.get(), POLLOUT, deadline, "connecting"); !st) {
      last = st.message();
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) return fd;
    last = std::strerror(err);
  }
  return make_error("cannot connect to " + where + ": " + last);
}

// Reads the proxy's response head byte by byte: whatever follows it belongs to the
// tunnelled connection and must stay in the socket.
result<std::string> read_head(int fd, clock::time_point deadline) {
  std::string head;
  while (head.size() < 16 * 1024) {
    if (head.size() >= 4 && head.compare(head.size() - 4, 4, "\r\n\r\n") == 0) return head;
    if (auto st = wait_for(fd, POLLIN, deadline, "waiting for the HTTP proxy"); !st)
      return st.err();
    char c = 0;
    const ssize_t n = ::recv(fd, &c, 1, 0);
    if (n == 0) return make_error("the HTTP proxy closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return make_error(std::string("reading from the HTTP proxy: ") + std::strerror(errno));
    }
    head.push_back(c);
  }
  return make_error("the HTTP proxy sent a response head over 16 KiB");
}

}  // namespace

std::string connect_proxy::name() const {
  return "http://" + host_port(host, port);
}

result<unique_fd> dial_tcp(const std::string& host, std::uint16_t port,
                           std::chrono::milliseconds timeout,
                           const std::optional<connect_proxy>& via) {
  const auto deadline = clock::now() + timeout;
  const std::string target = host_port(host, port);
  auto fd =
      via ? connect_direct(via->host, via->port, deadline) : connect_direct(host, port, deadline);
  if (!fd) {
    if (via)
      return make_error("the HTTP proxy at " + via->name() + " is unreachable: " + fd.message());
    return fd.err();
  }
  if (via) {
    std::string req = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
    req += "\r\n";
    if (auto st = send_all(fd->get(), req, deadline); !st) {
      return make_error("the HTTP proxy at " + via->name() + ": " + st.message());
    }
    auto head = read_head(fd->get(), deadline);
    if (!head) return make_error("the HTTP proxy at " + via->name() + ": " + head.message());
    // "HTTP/1.x 200 ..."
    const std::string status_line = head->substr(0, head->find("\r\n"));
    const auto sp = status_line.find(' ');
    const bool ok = status_line.rfind("HTTP/1.", 0) == 0 && sp != std::string::npos &&
                    sp + 1 < status_line.size() && status_line[sp + 1] == '2';
    if (!ok) {
      return make_error("the HTTP proxy at " + via->name() + " refused CONNECT " + target + ": " +
                        status_line.substr(0, 200));
    }
  }
  const int flags = ::fcntl(fd->get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd->get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

}  // namespace tp::transport
