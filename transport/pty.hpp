// Pseudo-terminals for interactive SSH sessions: allocation with an initial size and
// window-size changes (what an SSH "pty-req" / "window-change" request carries).
#pragma once

#include <cstdint>
#include <string>

#include "messages/result.hpp"
#include "transport/ssh_reactor_fd.hpp"

namespace tp::transport {

struct pty_size {
  std::uint32_t cols = 80;
  std::uint32_t rows = 24;
  std::uint32_t width_px = 0;
  std::uint32_t height_px = 0;

  friend bool operator==(const pty_size&, const pty_size&) = default;
};

// Terminal sizes beyond this are clamped (the kernel stores 16-bit values, and a hostile
// client must not make us allocate or compute with absurd sizes).
inline constexpr std::uint32_t k_max_pty_dimension = 10000;
pty_size clamp_pty_size(pty_size s);

struct pty_pair {
  unique_fd master;        // non-blocking, close-on-exec; the reactor polls it
  unique_fd slave;         // close-on-exec; becomes the child's stdin/stdout/stderr
  std::string slave_name;  // "/dev/pts/N"
};

// Opens a new pty with the given (clamped) size.
result<pty_pair> open_pty(const pty_size& size);

// TIOCSWINSZ on a pty master (the kernel sends SIGWINCH to the foreground group).
status set_pty_size(int master_fd, const pty_size& size);
result<pty_size> get_pty_size(int fd);

}  // namespace tp::transport
