// Prints scale figures for one auth server; not a test: nothing is asserted and
// a missed target is reported, not failed. N simulated nodes (bench/scale/fleet:
// real mutual-TLS control-plane connections, one per node, each with its own
// joined certificate) heartbeat every 5 s to one auth-only `teleport`, on LMDB
// and on a real etcd; for each N it prints join time, auth CPU and RSS,
// heartbeat round trips, `tctl nodes ls` time, and where it stops scaling.
//
//   bench_scale [--nodes N[,N...]] [--backend lmdb|etcd|both] [--duration S] [--quick]
//               [--teleport PATH] [--tctl PATH] [--threads N] [--join-threads N]
//               [--sources N] [--no-rotation] [--ramp N] [--keep-going]
//               [--tmpdir DIR]
#include <sys/vfs.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/scale/scale_run.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tp::bench;

// The goal.
constexpr std::size_t goal_nodes = 50000;
constexpr double goal_auth_cores = 1.0;
constexpr double goal_ls_seconds = 1.0;

struct options {
  run_options run;
  std::vector<std::string> backends{"lmdb", "etcd"};
};

bool parse_size(std::string_view text, std::size_t lo, std::size_t hi, std::size_t& out) {
  std::size_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size() || v < lo || v > hi) return false;
  out = v;
  return true;
}

bool parse_nodes(const std::string& text, std::vector<std::size_t>& out) {
  out.clear();
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    std::size_t n = 0;
    if (!parse_size(std::string_view(text).substr(start, comma - start), 1, 1'000'000, n))
      return false;
    out.push_back(n);
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return !out.empty();
}

// <dir of argv[0]>/<name>; /proc/self/exe's directory when argv[0] has no directory.
fs::path next_to_self(const char* argv0, const char* name) {
  fs::path self(argv0);
  if (!self.has_parent_path()) {
    std::error_code ec;
    self = fs::read_symlink("/proc/self/exe", ec);
  }
  return self.parent_path() / name;
}

void usage(const char* argv0) {
  std::printf(
      "usage: %s [--nodes N[,N...]] [--backend lmdb|etcd|both] [--duration S] [--quick]\n"
      "          [--teleport PATH] [--tctl PATH] [--threads N] [--join-threads N]\n"
      "          [--sources N] [--no-rotation] [--ramp N] [--keep-going] [--tmpdir DIR]\n"
      "N simulated nodes heartbeat every 5 s to one auth-only teleport (started from PATH,\n"
      "default next to this binary, in a temp dir); the fleet grows through the sizes given\n"
      "(default 1000,10000,50000) on LMDB and on a real etcd, and stops growing once auth\n"
      "no longer keeps up. --quick: 200 nodes, 10 s windows. --no-rotation: heartbeats only\n"
      "(real nodes also ask rotation_status after each). --ramp: new connections per\n"
      "second (default 500; 0: all at once, like a fleet reconnecting). --keep-going: grow on "
      "after auth\n"
      "fell behind. --tmpdir: where auth's data_dir and etcd's data go (default: the system's\n"
      "temp dir; /dev/shm takes the disk's fsync cost out of the figures).\n",
      argv0);
}

// 0: parsed; otherwise the exit code.
int parse_args(int argc, char** argv, options& o, bool& exit_now) {
  exit_now = false;
  auto& r = o.run;
  r.nodes = {1000, 10000, goal_nodes};
  bool nodes_given = false, duration_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    auto bad = [&](const char* want) {
      std::fprintf(stderr, "bench_scale: %s wants %s, got \"%s\"\n", a.c_str(), want, argv[i]);
      return 2;
    };
    std::size_t v = 0;
    if (a == "--quick") {
      if (!nodes_given) r.nodes = {200};
      if (!duration_given) r.duration_s = 10;
    } else if (a == "--nodes" && has_value) {
      if (!parse_nodes(argv[++i], r.nodes))
        return bad("numbers from 1 to 1000000, comma-separated");
      nodes_given = true;
    } else if (a == "--backend" && has_value) {
      const std::string b = argv[++i];
      if (b == "both") {
        o.backends = {"lmdb", "etcd"};
      } else if (b == "lmdb" || b == "etcd") {
        o.backends = {b};
      } else {
        return bad("lmdb, etcd or both");
      }
    } else if (a == "--duration" && has_value) {
      if (!parse_size(argv[++i], 1, 3600, v)) return bad("seconds from 1 to 3600");
      r.duration_s = static_cast<double>(v);
      duration_given = true;
    } else if (a == "--teleport" && has_value) {
      r.teleport = argv[++i];
    } else if (a == "--tctl" && has_value) {
      r.tctl = argv[++i];
    } else if (a == "--threads" && has_value) {
      if (!parse_size(argv[++i], 1, 64, v)) return bad("a number from 1 to 64");
      r.fleet_threads = static_cast<unsigned>(v);
    } else if (a == "--join-threads" && has_value) {
      if (!parse_size(argv[++i], 1, 64, v)) return bad("a number from 1 to 64");
      r.join_threads = static_cast<unsigned>(v);
    } else if (a == "--sources" && has_value) {
      if (!parse_size(argv[++i], 1, 250, v)) return bad("a number from 1 to 250");
      r.source_addresses = v;
    } else if (a == "--ramp" && has_value) {
      if (!parse_size(argv[++i], 0, 1'000'000, v))
        return bad("connections per second (0: no limit)");
      r.connects_per_second = static_cast<double>(v);
    } else if (a == "--keep-going") {
      r.keep_going = true;
    } else if (a == "--tmpdir" && has_value) {
      r.tmpdir = argv[++i];
    } else if (a == "--no-rotation") {
      r.follow_rotation = false;
    } else if (a == "--help" || a == "-h") {
      usage(argv[0]);
      exit_now = true;
      return 0;
    } else {
      std::fprintf(stderr, "bench_scale: unknown argument or missing value \"%s\" (try --help)\n",
                   a.c_str());
      return 2;
    }
  }
  if (r.teleport.empty()) r.teleport = next_to_self(argv[0], "teleport");
  if (r.tctl.empty()) r.tctl = next_to_self(argv[0], "tctl");
  return 0;
}

double percentile(const std::vector<float>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(q * sorted.size() + 0.999999);
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

void print_summary(const std::vector<backend_result>& results, const run_options& o) {
  std::printf(
      "\nsummary (one auth, %u cores; each node heartbeats every 5 s with 2 static and 1 "
      "command label%s)\n",
      std::thread::hardware_concurrency(),
      o.follow_rotation ? ", then asks rotation_status as real nodes do" : "");
  std::printf("%-7s %7s %8s %7s %6s %9s %8s %8s %8s %9s %7s\n", "backend", "nodes", "join s",
              "join/s", "auth", "auth RSS", "ls s", "hb p50", "hb p99", "answered", "box");
  std::printf("%-7s %7s %8s %7s %6s %9s %8s %8s %8s %9s %7s\n", "", "", "(step)", "", "cores",
              "MiB", "", "ms", "ms", "", "cores");
  for (const auto& r : results) {
    for (const auto& s : r.steps) {
      if (!s.measured) {
        std::printf("%-7s %7zu  not measured: %s\n", r.backend.c_str(), s.nodes, s.broke.c_str());
        continue;
      }
      char ls[32];
      if (s.ls_error.empty()) {
        std::snprintf(ls, sizeof ls, "%.3f", s.ls_seconds);
      } else {
        std::snprintf(ls, sizeof ls, "failed");
      }
      const double join_rate = s.join_seconds > 0 ? s.join_count / s.join_seconds : 0;
      std::printf(
          "%-7s %7zu %8.1f %7.0f %6.2f %9.0f %8s %8.2f %8.2f %8.0f%% %7.2f\n", r.backend.c_str(),
          s.fleet.established, s.join_seconds, join_rate, s.auth_cores, s.auth_rss_kib / 1024.0, ls,
          percentile(s.window.heartbeat_ms, 0.5), percentile(s.window.heartbeat_ms, 0.99),
          100.0 * s.window.heartbeats_ok / std::max(s.expected_heartbeats, 1.0), s.machine_cores);
    }
  }
}

// Where a backend stops: the first limit met, with the evidence and a linear projection.
void explain(const backend_result& r) {
  const step_result* last = nullptr;
  for (const auto& s : r.steps) {
    if (s.measured) last = &s;
  }
  std::printf("  %s:", r.backend.c_str());
  if (!r.fatal.empty()) {
    std::printf(" not measured: %s\n", r.fatal.c_str());
    return;
  }
  if (!last) {
    std::printf(" nothing measured%s%s\n", r.steps.empty() ? "" : ": ",
                r.steps.empty() ? "" : r.steps.back().broke.c_str());
    return;
  }
  const std::string broke = r.steps.back().broke;
  const double n = static_cast<double>(last->fleet.established);
  std::printf(" last fleet measured: %.0f of %zu nodes heartbeating%s%s\n", n, last->nodes,
              broke.empty() ? "" : "; stopped: ", broke.c_str());
  const auto& w = last->window;
  const double cycles = std::max<double>(1, w.heartbeats_ok);
  if (last->auth_cores > 0) {
    std::printf(
        "    auth CPU: %.2f cores for %.0f nodes = %.0f us per heartbeat%s; 1 core would "
        "carry ~%.0f nodes at this cost\n",
        last->auth_cores, n, 1e6 * last->auth_cores * w.seconds / cycles,
        w.rotations_ok > 0 ? " (with its rotation_status)" : "", n / last->auth_cores);
  }
  // Backend writes run on the auth_server thread, mostly waiting (fsync, etcd round
  // trips): its CPU plus that wait is about how busy it is (an upper bound: the CPU of
  // the writes counts twice).
  const double put_share = last->put_seconds / w.seconds;
  const double rotation_ms = w.rotations_ok > 0 ? w.rotation_ms_total / w.rotations_ok : 0.0;
  // A read that takes more than 100 ms on loopback waited in the queue.
  if (last->auth_top_thread + put_share >= 0.8 || rotation_ms > 100) {
    std::printf(
        "    the auth_server thread is saturated: busiest thread %.2f cores of CPU + %.0f%% of "
        "the window waiting in backend writes (%s); every request waits in its one "
        "mailbox (rotation_status, a read, took %.0f ms on average)\n",
        last->auth_top_thread, put_share * 100, last->auth_threads.c_str(), rotation_ms);
  }
  if (last->puts > 0) {
    const double put_ms = 1e3 * last->put_seconds / last->puts;
    std::printf(
        "    backend: %.0f writes/s at %.3f ms each, %.1f heartbeats per write (heartbeats "
        "waiting in the mailbox share one transaction, up to 128)\n",
        last->puts / w.seconds, put_ms, w.heartbeats_ok / last->puts);
  }
  if (last->ls_error.empty() && last->ls_seconds > 0) {
    std::printf("    tctl nodes ls: %.3f s for %zu nodes; 1 s would list ~%.0f nodes\n",
                last->ls_seconds, last->ls_listed,
                static_cast<double>(last->ls_listed) / last->ls_seconds);
  } else if (!last->ls_error.empty()) {
    std::printf("    tctl nodes ls failed: %s\n", last->ls_error.c_str());
  }
  std::printf(
      "    auth memory: %.0f MiB for %.0f nodes = %.0f KiB per connected node; fd limit "
      "%llu, max_connections %zu\n",
      last->auth_rss_kib / 1024.0, n, last->auth_rss_kib / std::max(1.0, n),
      static_cast<unsigned long long>(r.fd_limit), r.max_connections);
  if (last->machine_cores > 0.85 * std::thread::hardware_concurrency()) {
    std::printf(
        "    the machine was saturated (%.2f cores busy: auth %.2f, the bench's nodes %.2f%s)"
        "; figures at this size include waiting for a core\n",
        last->machine_cores, last->auth_cores, last->bench_cores,
        last->etcd_cores >= 0 ? ", etcd and others the rest" : ", others the rest");
  }
}

void print_goal(const std::vector<backend_result>& results) {
  std::printf("\ngoal: %zu nodes on one auth, auth < %.0f core, tctl nodes ls < %.0f s\n",
              goal_nodes, goal_auth_cores, goal_ls_seconds);
  for (const auto& r : results) {
    const step_result* at_goal = nullptr;
    std::size_t largest = 0;
    for (const auto& s : r.steps) {
      if (!s.measured) continue;
      largest = std::max(largest, s.fleet.established);
      if (s.fleet.established >= goal_nodes) at_goal = &s;
    }
    if (!at_goal) {
      std::printf("  %s: FAIL (largest fleet measured: %zu nodes)\n", r.backend.c_str(), largest);
      continue;
    }
    const bool cpu = at_goal->auth_cores < goal_auth_cores;
    const bool ls = at_goal->ls_error.empty() && at_goal->ls_seconds < goal_ls_seconds;
    const bool kept = at_goal->broke.empty();
    std::printf("  %s: %s (auth %.2f cores, nodes ls %s, heartbeats %s)\n", r.backend.c_str(),
                cpu && ls && kept ? "PASS" : "FAIL", at_goal->auth_cores,
                ls ? "in time" : "too slow or failed", kept ? "kept up" : "fell behind");
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  bool exit_now = false;
  if (int rc = parse_args(argc, argv, o, exit_now); rc != 0 || exit_now) return rc;
  for (const auto& bin : {o.run.teleport, o.run.tctl}) {
    std::error_code ec;
    if (!fs::exists(bin, ec)) {
      std::fprintf(stderr,
                   "bench_scale: no %s (build the teleport and tctl targets, or pass "
                   "--teleport/--tctl)\n",
                   bin.c_str());
      return 1;
    }
  }
  std::string load;
  if (std::ifstream in("/proc/loadavg"); in) std::getline(in, load);
  std::printf("scale benchmark: %u cores, load average %s\n", std::thread::hardware_concurrency(),
              load.c_str());
  {
    const fs::path where = o.run.tmpdir.empty() ? fs::temp_directory_path() : o.run.tmpdir;
    struct statfs fsinfo {};
    const bool tmpfs = ::statfs(where.c_str(), &fsinfo) == 0 && fsinfo.f_type == 0x01021994;
    std::printf("data dirs under %s%s\n", where.c_str(),
                tmpfs ? " (tmpfs: fsync costs nothing there; not a disk's figures)" : "");
  }
  std::fflush(stdout);

  std::vector<backend_result> results;
  bool measured = false;
  for (const auto& b : o.backends) {
    results.push_back(run_backend(b, o.run));
    const auto& r = results.back();
    if (!r.fatal.empty()) std::fprintf(stderr, "bench_scale: %s: %s\n", b.c_str(), r.fatal.c_str());
    for (const auto& s : r.steps) measured = measured || s.measured;
  }
  print_summary(results, o.run);
  print_goal(results);
  std::printf("\nwhere it breaks:\n");
  for (const auto& r : results) explain(r);
  bool any_fatal = false;
  for (const auto& r : results) any_fatal = any_fatal || !r.fatal.empty();
  return measured && !any_fatal ? 0 : 1;
}
