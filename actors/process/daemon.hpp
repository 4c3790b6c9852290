// The `teleport start` process: data dir, PID file, the services of its roles
// as actors, and signal handling until shutdown. No CAF in this header.
#pragma once

#include "config/config.hpp"

namespace tp::actors {

// Blocks the signals the daemon handles so that every thread started later
// inherits the mask and only run_daemon's sigwait() sees them. Call first in main().
void block_daemon_signals();

// Runs until SIGTERM/SIGINT. Returns the process exit code.
int run_daemon(const config::teleport_config& cfg);

}  // namespace tp::actors
