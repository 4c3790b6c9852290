// Graceful restart (SIGUSR2/SIGHUP): this process execs a new teleport from
// the binary's path (so a replaced binary takes over), hands it the listening
// sockets (transport/listener_set) and a pipe on which the new process says
// it serves. systemd learns the new main PID through NOTIFY_SOCKET
// (examples/systemd/teleport.service, Type=notify, NotifyAccess=all).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "transport/ssh_reactor_fd.hpp"

namespace tp::actors {

// The pipe's fd from the process that restarted into this one.
inline constexpr const char* k_restart_ready_env = "TELEPORT_RESTART_READY_FD";

// Called first in main(), before any thread: the binary's path and arguments
// for the next process, and the inherited ready pipe (removed from the
// environment, close-on-exec, so sessions never see it).
void remember_process(int argc, char** argv);

// True when this process was started by a graceful restart.
bool started_by_restart();

// What was wrong with the inherited listeners (to log once logging is set up).
const std::vector<std::string>& inherited_listener_warnings();

// Once every role serves: tells the restarting parent (one line on the pipe)
// and systemd (READY=1 with this MAINPID) that this process took over.
void report_ready();

struct successor {
  pid_t pid = -1;
  transport::unique_fd ready;  // readable when it serves; EOF if it died first
};

// Forks and execs the new process with the listeners of transport's set.
tp::result<successor> spawn_successor();

// Waits until the successor serves or `limit` passes. On failure it is killed
// and reaped, and the error says what happened.
tp::status await_successor(successor& s, std::chrono::milliseconds limit);

// The datagram systemd's sd_notify protocol expects, sent to NOTIFY_SOCKET
// when that is set ("@name" is an abstract socket). Errors are not fatal.
tp::status notify_systemd(const std::string& message);

// The pid file holds our pid: only then is it ours to remove at exit (after a
// restart it holds the successor's).
bool pid_file_is_ours(const std::string& path);

}  // namespace tp::actors
