// One backend's run of bench_scale: an auth-only `teleport` (and for etcd a
// real etcd) in a temp dir, then for each fleet size in turn: join the nodes
// still missing, connect them, let them heartbeat, measure a steady-state
// window, time `tctl nodes ls`. The fleet grows from one size to the next on
// the same auth; the run stops growing once auth no longer keeps up.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/scale/fleet.hpp"

namespace tp::bench {

struct run_options {
  std::vector<std::size_t> nodes;  // ascending
  double duration_s = 30;          // the steady-state window
  std::filesystem::path teleport, tctl;
  unsigned fleet_threads = 2;
  unsigned join_threads = 4;
  std::size_t source_addresses = 8;  // 127.0.0.2 ...: an ephemeral port range each
  bool follow_rotation = true;
  double connects_per_second = 500;  // the ramp of new connections
  int nodes_ls_runs = 3;
  bool keep_going = false;       // grow on even when auth fell behind
  std::filesystem::path tmpdir;  // where data dirs go (default: the system's temp dir)
};

struct step_result {
  std::size_t nodes = 0;       // the fleet size measured
  std::string capped;          // why it is smaller than asked, when it is
  std::size_t joined = 0;      // identities held after this step's joins
  std::size_t join_count = 0;  // joins of this step
  double join_seconds = 0;
  double join_auth_cores = 0;
  std::size_t join_failed = 0;
  std::string join_error;
  double connect_seconds = 0;  // until every node had a heartbeat answered (or the wait ended)
  fleet_status fleet;          // when the window began
  bool measured = false;       // the window ran
  window_stats window;
  double expected_heartbeats = 0;  // nodes * window / interval
  double auth_cores = 0, bench_cores = 0, etcd_cores = -1, machine_cores = 0;
  long auth_rss_kib = 0, etcd_rss_kib = 0, bench_rss_kib = 0, auth_fds = 0;
  std::string auth_threads;  // the busiest threads of auth in the window
  double auth_top_thread = 0;
  // Backend writes in the window (single puts plus batches, each one durable
  // transaction) and their summed latency.
  double puts = 0, put_seconds = 0;
  double ls_seconds = -1;  // median wall time of `tctl nodes ls`
  double ls_max_seconds = -1;
  std::size_t ls_listed = 0;
  std::string ls_error;
  std::string broke;  // why no larger fleet was tried; empty when this one kept up
};

struct backend_result {
  std::string backend;  // lmdb or etcd
  std::vector<step_result> steps;
  std::string fatal;  // set when nothing could be measured
  std::uint64_t fd_limit = 0;
  std::size_t max_connections = 0;
};

backend_result run_backend(const std::string& backend, const run_options& options);

// Prints one step's figures (also used for the summary).
void print_step(const std::string& backend, const step_result& s, const run_options& options);

}  // namespace tp::bench
