// File descriptor helpers shared by the reactor, child processes and the SSH server:
// an owning fd and the flag setters every non-blocking fd needs.
#pragma once

#include <unistd.h>

#include <utility>

#include "messages/result.hpp"

namespace tp::transport {

// Owns one file descriptor; closes it on destruction. -1 means "none".
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

status set_nonblocking(int fd, bool on = true);
status set_cloexec(int fd, bool on = true);

}  // namespace tp::transport
