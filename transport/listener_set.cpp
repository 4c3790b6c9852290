#include "transport/listener_set.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace tp::transport {
namespace {

struct listener_set {
  std::mutex mu;
  std::map<std::string, unique_fd> inherited;  // not yet taken
  std::map<std::string, unique_fd> open;       // our duplicates, by key
  // Separate from `mu`: stop_accepting() holds it while the servers stop, so a
  // server being destroyed meanwhile waits before it unregisters.
  std::mutex stoppers_mu;
  std::map<std::uint64_t, std::function<void()>> stoppers;
  std::uint64_t next_stopper = 1;
};

listener_set& set() {
  static listener_set* s = new listener_set();  // outlives every server's destructor
  return *s;
}

std::string key_of(const std::string& host, std::uint16_t port) {
  return host + ":" + std::to_string(port);
}

std::uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

// Only a listening TCP socket on the port its key names is taken over.
std::string check_listener(int fd, const std::string& key) {
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
    return "fd " + std::to_string(fd) + " is not a stream socket";
  len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
    return "fd " + std::to_string(fd) + " is not listening";
  const auto colon = key.rfind(':');
  const std::string port = colon == std::string::npos ? "" : key.substr(colon + 1);
  if (port != std::to_string(local_port(fd)))
    return "fd " + std::to_string(fd) + " is bound to port " + std::to_string(local_port(fd)) +
           ", not " + key;
  return {};
}

result<unique_fd> bind_new(const std::string& host, std::uint16_t port, int backlog) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    return make_error("invalid listen address '" + host + "' (an IP address is needed)");
  unique_fd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    const int e = errno;
    ::freeaddrinfo(res);
    return make_error(std::string("socket: ") + std::strerror(e));
  }
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int rc = ::bind(fd.get(), res->ai_addr, res->ai_addrlen);
  const int e = errno;
  ::freeaddrinfo(res);
  if (rc != 0)
    return make_error("cannot listen on " + key_of(host, port) + ": " + std::strerror(e));
  if (::listen(fd.get(), backlog) != 0)
    return make_error("cannot listen on " + key_of(host, port) + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

result<std::vector<inherited_listener>> parse_inherited_listeners(std::string_view text) {
  std::vector<inherited_listener> out;
  while (!text.empty()) {
    const auto end = text.find(';');
    const std::string_view entry = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (entry.empty()) continue;
    const auto eq = entry.rfind('=');
    int fd = -1;
    const char* first = entry.data() + (eq == std::string_view::npos ? 0 : eq + 1);
    const char* last = entry.data() + entry.size();
    auto [p, ec] = std::from_chars(first, last, fd);
    if (eq == std::string_view::npos || eq == 0 || ec != std::errc() || p != last || fd < 3)
      return make_error("malformed inherited listener \"" + std::string(entry) +
                        "\" (expected host:port=fd, fd 3 or above)");
    out.push_back({std::string(entry.substr(0, eq)), fd});
  }
  return out;
}

std::string format_inherited_listeners(const std::vector<inherited_listener>& list) {
  std::string out;
  for (const auto& l : list) {
    if (!out.empty()) out += ';';
    out += l.key + "=" + std::to_string(l.fd);
  }
  return out;
}

std::vector<std::string> adopt_inherited_listeners() {
  std::vector<std::string> warnings;
  const char* raw = std::getenv(k_inherited_listeners_env);
  if (!raw) return warnings;
  const std::string text = raw;
  ::unsetenv(k_inherited_listeners_env);
  auto parsed = parse_inherited_listeners(text);
  if (!parsed) {
    std::string w = k_inherited_listeners_env;
    w.append(": ").append(parsed.message());
    warnings.push_back(std::move(w));
    return warnings;
  }
  auto& s = set();
  std::lock_guard lock(s.mu);
  for (const auto& l : *parsed) {
    if (::fcntl(l.fd, F_SETFD, FD_CLOEXEC) != 0) {
      warnings.push_back("inherited listener " + l.key + ": fd " + std::to_string(l.fd) +
                         " is not open");
      continue;
    }
    unique_fd fd(l.fd);
    if (auto problem = check_listener(fd.get(), l.key); !problem.empty()) {
      warnings.push_back("inherited listener " + l.key + ": " + problem + "; not used");
      continue;
    }
    if (auto st = set_nonblocking(fd.get()); !st) {
      warnings.push_back("inherited listener " + l.key + ": " + st.message());
      continue;
    }
    s.inherited[l.key] = std::move(fd);
  }
  return warnings;
}

result<unique_fd> listen_tcp(const std::string& host, std::uint16_t port, int backlog) {
  auto& s = set();
  const std::string key = key_of(host, port);
  unique_fd fd;
  {
    std::lock_guard lock(s.mu);
    if (auto it = s.inherited.find(key); it != s.inherited.end() && port != 0) {
      fd = std::move(it->second);
      s.inherited.erase(it);
    } else if (auto own = s.open.find(key); own != s.open.end() && port != 0) {
      // A service started again in this process (after a failed hand-over)
      // takes back the socket the set kept open for it.
      fd.reset(::fcntl(own->second.get(), F_DUPFD_CLOEXEC, 3));
      if (!fd)
        return make_error("cannot reuse the listener on " + key + ": " + std::strerror(errno));
    }
  }
  if (!fd) {
    auto fresh = bind_new(host, port, backlog);
    if (!fresh) return fresh.err();
    fd = std::move(*fresh);
  }
  // Port 0 asks for any port: there is nothing to keep across a restart.
  if (port != 0) {
    unique_fd dup(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
    if (!dup) return make_error("cannot keep the listener on " + key + ": " + std::strerror(errno));
    std::lock_guard lock(s.mu);
    s.open[key] = std::move(dup);
  }
  return fd;
}

void close_unclaimed_listeners() {
  auto& s = set();
  std::lock_guard lock(s.mu);
  s.inherited.clear();
}

std::vector<inherited_listener> listeners_for_child() {
  auto& s = set();
  std::lock_guard lock(s.mu);
  std::vector<inherited_listener> out;
  for (const auto& [key, fd] : s.open) out.push_back({key, fd.get()});
  return out;
}

accept_stop_handle on_stop_accepting(std::function<void()> stop) {
  auto& s = set();
  std::lock_guard lock(s.stoppers_mu);
  const std::uint64_t id = s.next_stopper++;
  s.stoppers.emplace(id, std::move(stop));
  return std::shared_ptr<void>(nullptr, [id](void*) {
    auto& st = set();
    std::lock_guard l(st.stoppers_mu);
    st.stoppers.erase(id);
  });
}

void stop_accepting() {
  auto& s = set();
  {
    std::lock_guard calls(s.stoppers_mu);
    for (auto& [id, stop] : s.stoppers) stop();
  }
  std::lock_guard lock(s.mu);
  s.open.clear();
  s.inherited.clear();
}

}  // namespace tp::transport
