// The process's listening TCP sockets, kept so a graceful restart can hand them
// to the next process: no port is ever closed while teleport restarts.
//
// Every server opens its listener through listen_tcp(). The set keeps a
// duplicate of each socket (so a service stopped for the hand-over does not
// close its port), passes them to a restarted process through the
// environment (inherited_env, fds without close-on-exec in that child only),
// and there listen_tcp() takes the inherited socket of the same address
// instead of binding a new one. stop_accepting() makes the old process stop
// taking connections; the kernel's queue is shared, so none is refused.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/result.hpp"
#include "transport/ssh_reactor_fd.hpp"

namespace tp::transport {

// "host:port=fd;..." from the process that restarted into this one.
inline constexpr const char* k_inherited_listeners_env = "TELEPORT_INHERITED_LISTENERS";

struct inherited_listener {
  std::string key;  // "host:port" as configured
  int fd = -1;
};

// Parses the variable's value; an error names the malformed entry.
result<std::vector<inherited_listener>> parse_inherited_listeners(std::string_view text);
std::string format_inherited_listeners(const std::vector<inherited_listener>& list);

// Reads and removes the variable (so sessions' processes never see it), checks
// each fd is a listening TCP socket, sets close-on-exec on it. Called once at
// start, before any thread. Problems are returned as warnings; bad entries are
// closed and skipped.
std::vector<std::string> adopt_inherited_listeners();

// A listening socket (non-blocking, close-on-exec) on host:port: the inherited
// one for that address if there is one, else a new one.
result<unique_fd> listen_tcp(const std::string& host, std::uint16_t port, int backlog);

// Closes inherited sockets no server took (an address dropped from the config).
void close_unclaimed_listeners();

// The set's sockets, for the child of a graceful restart.
std::vector<inherited_listener> listeners_for_child();

// A server's way to stop accepting (it keeps its open connections). The
// registration ends when the returned handle is destroyed.
using accept_stop_handle = std::shared_ptr<void>;
[[nodiscard]] accept_stop_handle on_stop_accepting(std::function<void()> stop);

// Every server stops accepting and the set closes its duplicates: from now on
// the new process alone takes connections on these ports.
void stop_accepting();

}  // namespace tp::transport
