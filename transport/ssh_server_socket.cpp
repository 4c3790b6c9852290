#include "transport/ssh_server_socket.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "transport/ssh_server_channel.hpp"
#include "transport/tls_peer.hpp"

namespace tp::transport {

// Lets a resolver thread's answer find its channel, or learn it is gone.
struct socket_channel::link {
  socket_channel* target = nullptr;
};

namespace {

socklen_t addr_len(const sockaddr_storage& a) {
  return a.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

// getaddrinfo; blocking, so never on a reactor thread unless the host is numeric.
std::vector<sockaddr_storage> lookup(const std::string& host, std::uint16_t port, bool numeric,
                                     std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = numeric ? AI_NUMERICHOST : AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  std::vector<sockaddr_storage> out;
  if (rc != 0) {
    error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    return out;
  }
  for (addrinfo* a = res; a; a = a->ai_next) {
    sockaddr_storage ss{};
    std::memcpy(&ss, a->ai_addr, a->ai_addrlen);
    out.push_back(ss);
  }
  ::freeaddrinfo(res);
  return out;
}

}  // namespace

socket_channel::socket_channel(unique_fd sock) : sock_(std::move(sock)) {
  if (sock_) (void)set_nonblocking(sock_.get());
}

std::unique_ptr<socket_channel> socket_channel::connect_to(std::string host, std::uint16_t port) {
  std::unique_ptr<socket_channel> c(new socket_channel());
  c->host_ = std::move(host);
  c->port_ = port;
  return c;
}

socket_channel::~socket_channel() {
  on_close();
}

void socket_channel::on_open(server_channel& ch) {
  ch_ = &ch;
  if (sock_) {
    start_pump();
    return;
  }
  if (host_.empty() || host_.size() > 255 || host_.find('\0') != std::string::npos) {
    fail("invalid destination host");
    return;
  }
  resolve();
}

void socket_channel::resolve() {
  if (is_ip_literal(host_)) {
    std::string error;
    auto addrs = lookup(host_, port_, true, error);
    on_resolved(std::move(addrs), std::move(error));
    return;
  }
  link_ = std::make_shared<link>();
  link_->target = this;
  reactor_loop* loop = &ch_->loop();
  std::thread([loop, l = link_, host = host_, port = port_] {
    std::string error;
    auto addrs = lookup(host, port, false, error);
    loop->post([l, addrs = std::move(addrs), error = std::move(error)]() mutable {
      if (l->target) l->target->on_resolved(std::move(addrs), std::move(error));
    });
  }).detach();
}

void socket_channel::on_resolved(std::vector<sockaddr_storage> addrs, std::string error) {
  if (link_) link_->target = nullptr;
  link_.reset();
  if (closed_) return;
  if (addrs.empty()) {
    fail(error.empty() ? "no address for " + host_ : error);
    return;
  }
  addrs_ = std::move(addrs);
  next_addr_ = 0;
  try_connect();
}

void socket_channel::try_connect() {
  while (next_addr_ < addrs_.size()) {
    const sockaddr_storage& a = addrs_[next_addr_++];
    unique_fd s(::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s) continue;
    int one = 1;
    ::setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&a), addr_len(a)) == 0) {
      sock_ = std::move(s);
      start_pump();
      return;
    }
    if (errno != EINPROGRESS) {
      error_ = "connect to " + host_ + ":" + std::to_string(port_) + ": " + std::strerror(errno);
      continue;
    }
    sock_ = std::move(s);
    auto w = ch_->loop().watch(sock_.get(), POLLOUT, [this](short) { on_connect_ready(); });
    if (!w) {
      fail(w.message());
      return;
    }
    connect_watch_ = *w;
    return;
  }
  fail(error_.empty() ? "cannot connect to " + host_ : error_);
}

void socket_channel::on_connect_ready() {
  ch_->loop().unwatch(connect_watch_);
  connect_watch_ = 0;
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(sock_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    error_ = "connect to " + host_ + ":" + std::to_string(port_) + ": " + std::strerror(err);
    sock_.reset();
    try_connect();
    return;
  }
  start_pump();
}

void socket_channel::start_pump() {
  channel_pump::events e;
  e.on_input_done = [this] {
    input_done_ = true;
    if (sock_) ::shutdown(sock_.get(), SHUT_WR);
    maybe_close();
  };
  e.on_output_done = [this] {
    output_done_ = true;
    ch_->send_eof();
    maybe_close();
  };
  pump_ = std::make_unique<channel_pump>(*ch_, channel_pump::fds{sock_.get(), sock_.get(), -1},
                                         channel_pump::options{}, std::move(e));
  (void)pump_->start();
  ch_->resume_reading();  // data that arrived while connecting
  if (client_eof_) pump_->on_eof();
}

void socket_channel::maybe_close() {
  if (input_done_ && output_done_ && ch_) ch_->close();
}

void socket_channel::fail(std::string why) {
  error_ = std::move(why);
  if (ch_) ch_->close();
}

std::size_t socket_channel::on_data(std::string_view data) {
  if (pump_) return pump_->on_data(data);
  return 0;  // still connecting: the channel holds the data until resume_reading()
}

void socket_channel::on_eof() {
  client_eof_ = true;
  if (pump_) pump_->on_eof();
}

void socket_channel::on_writable() {
  if (pump_) pump_->on_writable();
}

void socket_channel::on_close() {
  if (closed_) return;
  closed_ = true;
  if (link_) link_->target = nullptr;
  pump_.reset();
  if (ch_ && connect_watch_) ch_->loop().unwatch(connect_watch_);
  connect_watch_ = 0;
  sock_.reset();
}

}  // namespace tp::transport
