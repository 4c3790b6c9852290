#include "bench/scale/scale_run.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "actors/client/auth_client.hpp"
#include "actors/host/heartbeat.hpp"
#include "actors/identity/identity_file.hpp"
#include "bench/common/processes.hpp"
#include "bench/scale/node_join.hpp"
#include "messages/version.hpp"
#include "tests/support/etcd_process.hpp"

namespace tp::bench {
namespace {

namespace fs = std::filesystem;

constexpr auto ready_timeout = std::chrono::seconds{30};
constexpr auto nodes_ls_timeout = std::chrono::seconds{120};
// A fleet keeps up when this share of the heartbeats a steady 5 s rhythm makes arrives.
constexpr double keeps_up_share = 0.9;

// The daemons of the running backend: an interrupted bench (SIGINT, SIGTERM, SIGHUP)
// stops them before it exits rather than leaving them behind (their temp dir stays).
std::atomic<pid_t> running_children[2];

extern "C" void on_stop_signal(int sig) {
  for (auto& c : running_children) {
    const pid_t pid = c.load();
    if (pid > 0) ::kill(pid, SIGTERM);
  }
  ::_exit(128 + sig);
}

void watch_children(pid_t auth, pid_t etcd) {
  running_children[0] = auth;
  running_children[1] = etcd;
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
    return true;
  }();
  (void)installed;
}

std::string random_hex(std::size_t bytes) {
  std::random_device rd;
  std::string out;
  char buf[3];
  for (std::size_t i = 0; i < bytes; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(rd() & 0xff));
    out += buf;
  }
  return out;
}

struct daemon_setup {
  fs::path dir, yaml, log, data_dir;
  std::uint16_t port = 0, diag_port = 0;
  std::string token;
};

bool write_config(const daemon_setup& d, const tp::test::etcd_process* etcd,
                  std::size_t max_connections) {
  std::ofstream out(d.yaml);
  out << "teleport:\n"
      << "  nodename: bench-auth\n"
      << "  data_dir: " << d.data_dir.string() << "\n"
      << "  log:\n"
      << "    output: stderr\n"
      << "    severity: ERROR\n"
      << "  connection_limits:\n"
      << "    max_connections: " << max_connections << "\n";
  if (etcd) {
    out << "  storage:\n"
        << "    type: etcd\n"
        << "    peers: [" << etcd->url() << "]\n"
        << "    prefix: /bench-scale\n"
        << "    tls_cert_file: " << etcd->client().cert << "\n"
        << "    tls_key_file: " << etcd->client().key << "\n"
        << "    tls_ca_file: " << etcd->client().ca << "\n";
  }
  out << "auth_service:\n"
      << "  enabled: yes\n"
      << "  cluster_name: bench.test\n"
      << "  listen_addr: 127.0.0.1:" << d.port << "\n"
      << "  tokens:\n"
      << "    - \"node:" << d.token << "\"\n"
      << "ssh_service:\n"
      << "  enabled: no\n"
      << "proxy_service:\n"
      << "  enabled: no\n";
  return static_cast<bool>(out);
}

// Waits for the admin identity and a ping answered with it.
tp::result<actors::identity> wait_ready(daemon_process& daemon, const daemon_setup& d) {
  const auto id_path = actors::identity_path(d.data_dir.string(), "admin");
  const auto deadline = steady::now() + ready_timeout;
  std::string last = "no " + id_path.string() + " yet";
  while (steady::now() < deadline) {
    if (auto code = daemon.poll()) {
      return tp::make_error("teleport exited with code " + std::to_string(*code) +
                            " before it was ready");
    }
    std::error_code ec;
    if (fs::exists(id_path, ec)) {
      auto id = actors::read_identity(id_path);
      if (!id) {
        last = id.message();
      } else if (auto c = actors::auth_client::connect("127.0.0.1", d.port, *id); !c) {
        last = c.message();
      } else if (auto r = (*c)->call_as(messages::ping_request{}, std::chrono::seconds{2}); !r) {
        last = r.message();
      } else {
        return std::move(*id);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return tp::make_error("teleport was not ready within " + std::to_string(ready_timeout.count()) +
                        " s (last: " + last + ")");
}

messages::node base_node(const actors::join_keys& keys) {
  messages::node n;
  n.meta.labels = {{"env", "bench"}, {"team", "scale"}};
  n.spec.cmd_labels["arch"] =
      messages::command_label{std::chrono::hours{1}, {"uname", "-m"}, "x86_64"};
  n.spec.host_key = keys.ssh.pub().authorized_key();
  n.spec.version = std::string(tp::build_version());
  return n;
}

// Times `tctl -c <yaml> nodes ls` `runs` times; fills the ls_* fields.
void time_nodes_ls(const run_options& o, const daemon_setup& d, step_result& s) {
  std::vector<double> times;
  const fs::path out = d.dir / "nodes_ls.txt";
  for (int i = 0; i < o.nodes_ls_runs; ++i) {
    const auto t = steady::now();
    auto rc = run({o.tctl.string(), "-c", d.yaml.string(), "nodes", "ls"}, out, nodes_ls_timeout);
    const double secs = seconds_since(t);
    if (!rc || *rc != 0) {
      s.ls_error = rc ? "tctl exited with code " + std::to_string(*rc) : rc.message();
      std::ifstream in(out);
      std::string first;
      if (std::getline(in, first) && rc) s.ls_error += ": " + first;
      return;
    }
    times.push_back(secs);
    std::ifstream in(out);
    std::size_t lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    s.ls_listed = lines >= 2 ? lines - 2 : 0;  // header and rule
  }
  std::sort(times.begin(), times.end());
  s.ls_seconds = times[times.size() / 2];
  s.ls_max_seconds = times.back();
}

// Waits until every node had a heartbeat answered, or no progress for 30 s.
void wait_established(fleet& f, std::size_t want, step_result& s) {
  const auto start = steady::now();
  std::size_t best = 0;
  auto progress_at = steady::now();
  auto report_at = steady::now() + std::chrono::seconds{10};
  for (;;) {
    const auto st = f.status();
    if (st.established >= want) break;
    if (st.established > best) {
      best = st.established;
      progress_at = steady::now();
    }
    if (seconds_since(progress_at) > 30) break;
    if (steady::now() >= report_at) {
      std::printf("  ... %zu of %zu connected, %zu heartbeating (%.0f s)\n", st.connected, want,
                  st.established, seconds_since(start));
      std::fflush(stdout);
      report_at += std::chrono::seconds{10};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  s.connect_seconds = seconds_since(start);
}

struct samples {
  std::optional<proc_sample> auth, etcd, self;
  machine_cpu machine;
  std::string metrics;
};

samples take_samples(pid_t auth, pid_t etcd, std::uint16_t diag_port) {
  samples s;
  if (auto a = sample_process(auth, true)) s.auth = *a;
  if (etcd > 0) {
    if (auto e = sample_process(etcd)) s.etcd = *e;
  }
  if (auto me = sample_process(::getpid())) s.self = *me;
  s.machine = sample_machine();
  if (auto m = http_get(diag_port, "/metrics")) s.metrics = std::move(*m);
  return s;
}

// Joins nodes [pool.size(), s.nodes) on an idle auth (before any node heartbeats: a
// join waits in the same queue as every heartbeat); fills the step's join figures.
// False when no node could join.
bool join_step(const run_options& o, daemon_process& daemon, const join_target& target,
               const actors::join_keys& keys, std::vector<joined_node>& pool, step_result& s) {
  if (s.nodes <= pool.size()) return true;
  s.join_count = s.nodes - pool.size();
  auto before = sample_process(daemon.pid());
  auto out =
      join_nodes(target, keys, pool.size(), s.join_count, o.source_addresses, o.join_threads);
  auto after = sample_process(daemon.pid());
  s.join_seconds = out.seconds;
  s.join_failed = out.failed;
  s.join_error = out.first_error;
  if (before && after) s.join_auth_cores = cores_between(*before, *after);
  std::printf(
      "  join: nodes %zu..%zu in %.1f s (%.0f/s, a fresh TLS connection each, %u threads), "
      "auth %.2f cores\n",
      pool.size() + 1, pool.size() + out.nodes.size(), out.seconds,
      out.nodes.size() / std::max(out.seconds, 1e-9), o.join_threads, s.join_auth_cores);
  if (out.failed > 0) {
    std::printf("  join: %zu failed, the first with: %s\n", out.failed, out.first_error.c_str());
  }
  std::fflush(stdout);
  for (auto& n : out.nodes) pool.push_back(std::move(n));
  return !out.nodes.empty();
}

// One fleet size: connect the nodes not in the fleet yet, measure. False: stop growing.
bool run_step(const run_options& o, const daemon_setup& d, daemon_process& daemon,
              const tp::test::etcd_process* etcd, fleet& f, std::vector<joined_node>& pool,
              std::size_t& joined, step_result& s) {
  std::printf("\n[%s] %zu nodes%s\n", etcd ? "etcd" : "lmdb", s.nodes, s.capped.c_str());
  std::fflush(stdout);
  const std::size_t want = std::min(s.nodes, pool.size());
  if (want > joined) {
    f.add(std::vector<joined_node>(pool.begin() + static_cast<std::ptrdiff_t>(joined),
                                   pool.begin() + static_cast<std::ptrdiff_t>(want)));
    joined = want;
  }
  s.joined = joined;
  wait_established(f, joined, s);
  auto st = f.status();
  std::printf(
      "  connect: %zu of %zu heartbeating after %.1f s (%zu connect failures%s%s; %zu "
      "connections dropped so far%s%s)\n",
      st.established, joined, s.connect_seconds, st.connect_failures,
      st.last_connect_error.empty() ? "" : ", last: ", st.last_connect_error.c_str(), st.drops,
      st.last_drop.empty() ? "" : ", last: ", st.last_drop.c_str());
  std::fflush(stdout);
  if (st.established == 0) {
    s.broke = "no node got a heartbeat through: " + st.last_connect_error;
    return false;
  }
  // One more interval so that every node is in its steady rhythm.
  std::this_thread::sleep_for(actors::heartbeat_interval + std::chrono::seconds{1});

  s.fleet = f.status();
  const pid_t etcd_pid = etcd ? etcd->pid() : 0;
  const auto a = take_samples(daemon.pid(), etcd_pid, d.diag_port);
  f.begin_window();
  const auto start = steady::now();
  while (seconds_since(start) < o.duration_s && !daemon.poll()) {
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  s.window = f.end_window();
  s.window.seconds = seconds_since(start);
  const auto b = take_samples(daemon.pid(), etcd_pid, d.diag_port);
  if (auto code = daemon.poll()) {
    s.broke = "teleport exited with code " + std::to_string(*code) + " during the window";
    print_log_tail(d.log, 20);
    return false;
  }
  s.measured = true;
  const double interval_s = std::chrono::duration<double>(actors::heartbeat_interval).count();
  s.expected_heartbeats = static_cast<double>(joined) * s.window.seconds / interval_s;
  if (a.auth && b.auth) {
    s.auth_cores = cores_between(*a.auth, *b.auth);
    s.auth_rss_kib = b.auth->rss_kib;
    s.auth_fds = b.auth->fds;
    s.auth_threads = busiest_threads(*a.auth, *b.auth, 5);
    const double wall = std::chrono::duration<double>(b.auth->at - a.auth->at).count();
    for (const auto& [tid, cpu] : b.auth->thread_cpu) {
      auto was = a.auth->thread_cpu.find(tid);
      const double used = cpu - (was == a.auth->thread_cpu.end() ? 0 : was->second);
      s.auth_top_thread = std::max(s.auth_top_thread, used / wall);
    }
  }
  if (a.etcd && b.etcd) {
    s.etcd_cores = cores_between(*a.etcd, *b.etcd);
    s.etcd_rss_kib = b.etcd->rss_kib;
  }
  if (a.self && b.self) {
    s.bench_cores = cores_between(*a.self, *b.self);
    s.bench_rss_kib = b.self->rss_kib;
  }
  s.machine_cores = (b.machine.busy - a.machine.busy) / s.window.seconds;
  // Heartbeats reach the backend as batches (one transaction per batch).
  for (const std::string op : {"op=\"put\"", "op=\"batch\""}) {
    s.puts += metric_sum(b.metrics, "teleport_backend_op_seconds_count", op) -
              metric_sum(a.metrics, "teleport_backend_op_seconds_count", op);
    s.put_seconds += metric_sum(b.metrics, "teleport_backend_op_seconds_sum", op) -
                     metric_sum(a.metrics, "teleport_backend_op_seconds_sum", op);
  }

  time_nodes_ls(o, d, s);
  print_step(etcd ? "etcd" : "lmdb", s, o);

  const double share = s.window.heartbeats_ok / std::max(s.expected_heartbeats, 1.0);
  if (s.fleet.established < joined * 99 / 100) {
    s.broke = std::to_string(joined - s.fleet.established) + " of " + std::to_string(joined) +
              " nodes were not heartbeating when the window began (" +
              std::to_string(s.fleet.drops) + " connections dropped so far, the last: " +
              (s.fleet.last_drop.empty() ? std::string("none") : s.fleet.last_drop) + ")";
  } else if (share < keeps_up_share) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "auth answered only %.0f%% of the heartbeats %zu nodes send every %.0f s",
                  share * 100, joined, interval_s);
    s.broke = buf;
  } else if (!s.ls_error.empty()) {
    s.broke = "tctl nodes ls failed: " + s.ls_error;
  }
  return s.broke.empty();
}

std::string mib(long kib) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f MiB", kib / 1024.0);
  return buf;
}

}  // namespace

void print_step(const std::string& backend, const step_result& s, const run_options& o) {
  (void)o;
  if (!s.measured) {
    std::printf("  %s, %zu nodes: not measured (%s)\n", backend.c_str(), s.nodes, s.broke.c_str());
    return;
  }
  const auto& w = s.window;
  const auto pct = [&](double q) -> double {
    if (w.heartbeat_ms.empty()) return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(q * w.heartbeat_ms.size()));
    return w.heartbeat_ms[std::clamp<std::size_t>(rank, 1, w.heartbeat_ms.size()) - 1];
  };
  std::printf("  window: %.1f s with %zu nodes heartbeating\n", w.seconds, s.fleet.established);
  std::printf(
      "  heartbeats: %zu answered = %.0f/s (%.0f%% of the %.0f/s a 5 s rhythm makes), "
      "%zu refused, %zu timed out, %zu connections dropped\n",
      w.heartbeats_ok, w.heartbeats_ok / w.seconds,
      100.0 * w.heartbeats_ok / std::max(s.expected_heartbeats, 1.0),
      s.expected_heartbeats / w.seconds, w.heartbeats_refused, w.timeouts, w.drops);
  for (const auto& [why, count] : w.problems) {
    std::printf("    %zu x %s\n", count, why.c_str());
  }
  std::printf("  heartbeat round trip: p50 %.2f ms, p99 %.2f ms, max %.2f ms", pct(0.50), pct(0.99),
              w.heartbeat_ms.empty() ? 0.0 : w.heartbeat_ms.back());
  if (w.rotations_ok > 0) {
    std::printf("; rotation_status after it: mean %.2f ms", w.rotation_ms_total / w.rotations_ok);
  }
  std::printf("\n");
  std::printf("  auth: %.3f cores (target < 1: %s), RSS %s, %ld fds; busiest threads: %s\n",
              s.auth_cores, s.auth_cores < 1.0 ? "PASS" : "FAIL", mib(s.auth_rss_kib).c_str(),
              s.auth_fds, s.auth_threads.c_str());
  if (s.puts > 0) {
    std::printf(
        "  backend writes (puts and heartbeat batches): %.0f/s, mean %.3f ms each, %.1f "
        "heartbeats per write (%.0f%% of one thread's time)\n",
        s.puts / w.seconds, 1e3 * s.put_seconds / s.puts, w.heartbeats_ok / s.puts,
        100.0 * s.put_seconds / w.seconds);
  }
  if (s.etcd_cores >= 0) {
    std::printf("  etcd: %.2f cores, RSS %s\n", s.etcd_cores, mib(s.etcd_rss_kib).c_str());
  }
  const double others =
      std::max(0.0, s.machine_cores - s.auth_cores - s.bench_cores - std::max(0.0, s.etcd_cores));
  std::printf(
      "  this bench (the simulated nodes): %.2f cores, RSS %s; whole machine busy: %.2f "
      "of %u cores (other processes: %.2f)\n",
      s.bench_cores, mib(s.bench_rss_kib).c_str(), s.machine_cores,
      std::thread::hardware_concurrency(), others);
  if (s.ls_error.empty()) {
    std::printf(
        "  tctl nodes ls: %.3f s (median of %d, max %.3f s; %zu nodes listed; "
        "target < 1 s: %s)\n",
        s.ls_seconds, o.nodes_ls_runs, s.ls_max_seconds, s.ls_listed,
        s.ls_seconds < 1.0 ? "PASS" : "FAIL");
  } else {
    std::printf("  tctl nodes ls: FAIL (%s)\n", s.ls_error.c_str());
  }
  std::fflush(stdout);
}

backend_result run_backend(const std::string& backend, const run_options& o) {
  backend_result r;
  r.backend = backend;
  const std::size_t most = o.nodes.empty() ? 0 : o.nodes.back();
  r.max_connections = most + 1000;
  // Each node holds a socket here and one in auth (same limit: auth inherits it).
  r.fd_limit = raise_fd_limit(most + 4096);
  if (r.fd_limit < most + 4096) {
    std::printf(
        "[%s] RLIMIT_NOFILE is %llu and cannot be raised here (no CAP_SYS_RESOURCE "
        "above the hard limit)\n",
        backend.c_str(), static_cast<unsigned long long>(r.fd_limit));
  }

  const fs::path base = o.tmpdir.empty() ? fs::temp_directory_path() : o.tmpdir;
  std::string pattern = (base / "tp-bench-scale-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {  // 0700: CA keys live here
    r.fatal = "mkdtemp failed";
    return r;
  }
  daemon_setup d;
  d.dir = pattern;
  d.yaml = d.dir / "teleport.yaml";
  d.log = d.dir / "teleport.log";
  d.data_dir = d.dir / "data";
  d.token = "bench-scale-" + random_hex(16);
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove_all(d.dir, ec);
  };

  std::unique_ptr<tp::test::etcd_process> etcd;
  if (backend == "etcd") {
    std::string why;
    if (!o.tmpdir.empty()) ::setenv("TMPDIR", o.tmpdir.c_str(), 1);  // etcd's data dir too
    etcd = tp::test::etcd_process::start(why);
    if (!etcd) {
      r.fatal = "cannot start etcd: " + why;
      cleanup();
      return r;
    }
    std::printf("[etcd] started etcd (pid %d) at %s\n", static_cast<int>(etcd->pid()),
                etcd->url().c_str());
  }
  auto port = free_port();
  auto diag = free_port();
  if (!port || !diag || *port == *diag) {
    r.fatal = "no free port";
    cleanup();
    return r;
  }
  d.port = *port;
  d.diag_port = *diag;
  if (!write_config(d, etcd.get(), r.max_connections)) {
    r.fatal = "cannot write " + d.yaml.string();
    cleanup();
    return r;
  }
  const std::string diag_addr = "127.0.0.1:" + std::to_string(d.diag_port);
  auto pid =
      spawn({o.teleport.string(), "start", "-c", d.yaml.string(), "--diag-addr", diag_addr}, d.log);
  if (!pid) {
    r.fatal = pid.message();
    cleanup();
    return r;
  }
  {
    daemon_process daemon(*pid, "teleport");
    watch_children(*pid, etcd ? etcd->pid() : 0);
    std::printf("[%s] started %s (pid %d) on 127.0.0.1:%u, max_connections %zu, fd limit %llu\n",
                backend.c_str(), o.teleport.c_str(), static_cast<int>(*pid),
                static_cast<unsigned>(d.port), r.max_connections,
                static_cast<unsigned long long>(r.fd_limit));
    std::fflush(stdout);
    auto admin = wait_ready(daemon, d);
    if (!admin) {
      r.fatal = admin.message();
      print_log_tail(d.log, 20);
      cleanup();
      return r;
    }
    auto client = actors::auth_client::connect("127.0.0.1", d.port, *admin);
    auto ping = client ? (*client)->call_as(messages::ping_request{})
                       : tp::result<messages::ping_reply>(client.err());
    auto keys = actors::generate_join_keys();
    if (!ping || !keys) {
      r.fatal = !ping ? ping.message() : keys.message();
      cleanup();
      return r;
    }
    fleet_options fo;
    fo.port = d.port;
    fo.threads = o.fleet_threads;
    fo.interval = actors::heartbeat_interval;
    fo.follow_rotation = o.follow_rotation;
    fo.connects_per_second = o.connects_per_second;
    auto f = fleet::create(fo, keys->tls, admin->tls_ca_pem, base_node(*keys));
    if (!f) {
      r.fatal = f.message();
      cleanup();
      return r;
    }
    const join_target target{"127.0.0.1", d.port, d.token, ping->ca_pin};
    // Each node holds a socket in auth (and one here): RLIMIT_NOFILE caps the fleet.
    const std::size_t cap = r.fd_limit > 512 ? static_cast<std::size_t>(r.fd_limit) - 256 : 256;
    std::vector<step_result> steps;
    for (std::size_t n : o.nodes) {
      step_result s;
      s.nodes = std::min(n, cap);
      if (n > cap) {
        s.capped = " (" + std::to_string(n) + " asked: capped by the fd limit of " +
                   std::to_string(r.fd_limit) + ")";
      }
      if (steps.empty() || steps.back().nodes < s.nodes) steps.push_back(s);
    }
    std::printf("[%s] joining up to %zu nodes first, on an idle auth\n", backend.c_str(),
                steps.empty() ? 0 : steps.back().nodes);
    std::vector<joined_node> pool;
    for (auto& s : steps) {
      if (!join_step(o, daemon, target, *keys, pool, s)) {
        s.broke = "no node could join: " + s.join_error;
        break;
      }
    }
    std::size_t joined = 0;
    for (auto& s : steps) {
      if (!s.broke.empty()) {
        r.steps.push_back(s);
        break;
      }
      const bool go_on = run_step(o, d, daemon, etcd.get(), **f, pool, joined, s);
      r.steps.push_back(s);
      if (!go_on && o.keep_going && s.measured) {
        std::printf("  [%s] fell behind at %zu nodes (%s); growing on (--keep-going)\n",
                    backend.c_str(), s.nodes, s.broke.c_str());
      } else if (!go_on) {
        std::printf("  [%s] stops growing at %zu nodes: %s\n", backend.c_str(), s.nodes,
                    s.broke.c_str());
        break;
      }
    }
    f->reset();  // the connections close before the daemon stops
    const int code = daemon.stop();
    std::printf("[%s] teleport stopped (exit code %d)\n", backend.c_str(), code);
    if (code != 0) print_log_tail(d.log, 20);
  }
  watch_children(0, etcd ? etcd->pid() : 0);
  if (etcd) etcd->stop();
  watch_children(0, 0);
  cleanup();
  return r;
}

}  // namespace tp::bench
