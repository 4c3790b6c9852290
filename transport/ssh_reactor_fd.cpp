#include "transport/ssh_reactor_fd.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tp::transport {

namespace {
std::string errno_text(int e) {
  return std::strerror(e);
}
}  // namespace

status set_nonblocking(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return make_error("fcntl(F_GETFL): " + errno_text(errno));
  const int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (want != flags && ::fcntl(fd, F_SETFL, want) < 0)
    return make_error("fcntl(F_SETFL): " + errno_text(errno));
  return {};
}

status set_cloexec(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) return make_error("fcntl(F_GETFD): " + errno_text(errno));
  const int want = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (want != flags && ::fcntl(fd, F_SETFD, want) < 0)
    return make_error("fcntl(F_SETFD): " + errno_text(errno));
  return {};
}

}  // namespace tp::transport
