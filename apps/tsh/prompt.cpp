#include "apps/tsh/prompt.hpp"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace tp::apps::tsh {

namespace {

constexpr std::size_t k_max_answer = 1024;

// What a signal handler needs to give the terminal its echo back.
volatile sig_atomic_t g_tty_fd = -1;
struct termios g_saved {};

void restore_and_reraise(int sig) {
  if (g_tty_fd >= 0) ::tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads byte by byte so that nothing after the line is consumed: a second question
// asked on stdin must still find its answer there.
result<std::string> read_line(int fd) {
  std::string line;
  for (;;) {
    char c = 0;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(std::string("cannot read the answer: ") + std::strerror(errno));
    if (n == 0) {
      if (line.empty()) return make_error("no answer: end of input");
      break;
    }
    if (c == '\n') break;
    if (line.size() >= k_max_answer) return make_error("the answer is longer than 1024 bytes");
    line += c;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

result<std::string> ask(std::string_view question, bool secret) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0) {
    write_all(2, std::string(question) + " ");
    auto answer = read_line(0);
    write_all(2, "\n");  // the typed line was not echoed here: end the prompt's line
    return answer;
  }
  termios old{};
  const bool echo_off = secret && ::tcgetattr(tty, &old) == 0;
  struct sigaction sa {
  }, old_int{}, old_term{}, old_hup{};
  if (echo_off) {
    g_saved = old;
    g_tty_fd = tty;
    sa.sa_handler = restore_and_reraise;
    ::sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int);
    ::sigaction(SIGTERM, &sa, &old_term);
    ::sigaction(SIGHUP, &sa, &old_hup);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    // Echo goes off before the prompt appears: whatever is typed after seeing it stays
    // hidden. Typeahead from before the prompt is dropped, as ssh does.
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  write_all(tty, std::string(question) + " ");
  auto answer = read_line(tty);
  if (echo_off) {
    ::tcsetattr(tty, TCSADRAIN, &old);  // keep what was typed ahead for the next question
    g_tty_fd = -1;
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    ::sigaction(SIGHUP, &old_hup, nullptr);
  }
  ::close(tty);
  return answer;
}

}  // namespace tp::apps::tsh
