#include "transport/pty.hpp"

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tp::transport {

namespace {

std::string errno_text(int e) {
  return std::strerror(e);
}

winsize to_winsize(const pty_size& s) {
  const pty_size c = clamp_pty_size(s);
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(c.cols);
  ws.ws_row = static_cast<unsigned short>(c.rows);
  ws.ws_xpixel = static_cast<unsigned short>(c.width_px);
  ws.ws_ypixel = static_cast<unsigned short>(c.height_px);
  return ws;
}

}  // namespace

pty_size clamp_pty_size(pty_size s) {
  s.cols = std::min(s.cols, k_max_pty_dimension);
  s.rows = std::min(s.rows, k_max_pty_dimension);
  s.width_px = std::min<std::uint32_t>(s.width_px, 65535);
  s.height_px = std::min<std::uint32_t>(s.height_px, 65535);
  return s;
}

result<pty_pair> open_pty(const pty_size& size) {
  int master = -1;
  int slave = -1;
  winsize ws = to_winsize(size);
  char name[128] = {};
  // glibc's openpty does not take O_CLOEXEC; the flags are set right after, and children
  // we spawn mark every inherited fd close-on-exec anyway (see child_process).
  if (::openpty(&master, &slave, name, nullptr, &ws) != 0)
    return make_error("cannot allocate a pseudo-terminal: " + errno_text(errno));
  pty_pair p;
  p.master.reset(master);
  p.slave.reset(slave);
  p.slave_name = name;
  if (auto st = set_cloexec(master); !st) return st.err();
  if (auto st = set_cloexec(slave); !st) return st.err();
  if (auto st = set_nonblocking(master); !st) return st.err();
  return p;
}

status set_pty_size(int master_fd, const pty_size& size) {
  winsize ws = to_winsize(size);
  if (::ioctl(master_fd, TIOCSWINSZ, &ws) != 0)
    return make_error("cannot resize the terminal: " + errno_text(errno));
  return {};
}

result<pty_size> get_pty_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0)
    return make_error("cannot read the terminal size: " + errno_text(errno));
  return pty_size{ws.ws_col, ws.ws_row, ws.ws_xpixel, ws.ws_ypixel};
}

}  // namespace tp::transport
