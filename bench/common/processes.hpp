// Child processes and what /proc says about them, for the benchmarks: starting
// and always stopping the daemons, timing a command, CPU and memory samples.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace tp::bench {

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point t);

// Starts args[0] (searched in PATH when it has no '/') with stdin on /dev/null
// and stdout + stderr on `log` (/dev/null when empty).
tp::result<pid_t> spawn(const std::vector<std::string>& args,
                        const std::filesystem::path& log = {});

// Runs a command to completion with stdout + stderr on `out`; its exit code
// (128+N for signal N), or an error when it ran longer than `timeout` (then it
// was killed).
tp::result<int> run(const std::vector<std::string>& args, const std::filesystem::path& out,
                    std::chrono::seconds timeout);

// A child daemon that is always stopped: SIGTERM, then SIGKILL after 10 s.
class daemon_process {
 public:
  daemon_process(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;
  ~daemon_process() { stop(); }

  pid_t pid() const { return pid_; }
  // The exit code once the child has exited, nullopt while it runs.
  std::optional<int> poll();
  int stop();

 private:
  pid_t pid_;
  std::string name_;
  std::optional<int> exited_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
tp::result<std::uint16_t> free_port();

void print_log_tail(const std::filesystem::path& log, std::size_t lines);

// One look at a process in /proc.
struct proc_sample {
  steady::time_point at;
  double cpu_seconds = 0;                  // utime + stime of all its threads
  long rss_kib = 0;                        // VmRSS
  long fds = 0;                            // entries of /proc/<pid>/fd
  std::map<int, double> thread_cpu;        // tid -> utime + stime, s
  std::map<int, std::string> thread_name;  // tid -> comm
};
tp::result<proc_sample> sample_process(pid_t pid, bool threads = false);

// Cores used between two samples of one process.
double cores_between(const proc_sample& a, const proc_sample& b);

// The busiest threads between two samples: "name/tid 0.93, ..." (cores each).
std::string busiest_threads(const proc_sample& a, const proc_sample& b, std::size_t count);

// The whole machine's CPU time from /proc/stat, in seconds: busy (all but idle
// and iowait) and all.
struct machine_cpu {
  double busy = 0;
  double all = 0;
};
machine_cpu sample_machine();

// Raises RLIMIT_NOFILE (soft and hard) to at least `wanted` when allowed; the
// soft limit in force afterwards.
std::uint64_t raise_fd_limit(std::uint64_t wanted);

// GET http://127.0.0.1:<port><path> (the daemon's --diag-addr); the body.
tp::result<std::string> http_get(std::uint16_t port, const std::string& path);

// Sum of every sample of `name` whose label set contains `label` (e.g. op="put")
// in a Prometheus text exposition; 0 when absent.
double metric_sum(const std::string& text, const std::string& name, const std::string& label = {});

}  // namespace tp::bench
