// Test support: starting, watching and stopping the real programs tests run
// (etcd, dynalite, openssl), with only the standard library and POSIX.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tp::test::child {

std::string find_program(const std::string& name);  // on PATH; "" if absent
std::string read_from(const std::string& path, long offset);
long file_size(const std::string& path);
// Last lines of `text`, at most ~4 KB, for failure messages.
std::string tail_of(const std::string& text);
// Reaps `pid` within `wait_ms`; true once it is gone (ECHILD counts: a SIGCHLD
// of SIG_IGN in the test binary reaps children for us).
bool reap(pid_t pid, int wait_ms, int* status = nullptr);
// fork+exec in its own process group, stdin from /dev/null, stdout and stderr
// appended to `log_path`, no other fds inherited, environment PATH and LANG only.
// Returns the pid or -1.
pid_t spawn_child(const std::vector<std::string>& argv, const std::string& log_path,
                  const std::string& cwd);
// Runs a short tool (openssl) to completion, bounded in time.
bool run_tool(const std::vector<std::string>& argv, const std::string& log_path,
              const std::string& cwd, std::string& why);
bool tcp_connects(int port);  // on 127.0.0.1
// SIGs the child and its group, then reaps it within wait_ms; pid becomes 0 once gone.
void signal_and_reap(pid_t& pid, int sig, int wait_ms);
// A fresh 0700 directory under $TMPDIR or /tmp ("" and why set on failure).
std::string make_temp_dir(const std::string& name_prefix, std::string& why);

}  // namespace tp::test::child
