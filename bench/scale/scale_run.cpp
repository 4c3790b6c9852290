#include "bench/scale/scale_run.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
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

// One fleet size: join what is missing, connect, measure. False: stop growing.
bool run_step(const run_options& o, const daemon_setup& d, daemon_process& daemon,
              const tp::test::etcd_process* etcd, fleet& f, const join_target& target,
              const actors::join_keys& keys, std::size_t& joined, step_result& s) {
  const std::size_t want = s.nodes;
  std::printf("\n[%s] %zu nodes\n", etcd ? "etcd" : "lmdb", want);
  std::fflush(stdout);
  if (want > joined) {
    s.join_count = want - joined;
    auto before = sample_process(daemon.pid());
    auto out = join_nodes(target, keys, joined, s.join_count, o.source_addresses, o.join_threads);
    auto after = sample_process(daemon.pid());
    s.join_seconds = out.seconds;
    s.join_failed = out.failed;
    s.join_error = out.first_error;
    if (before && after) s.join_auth_cores = cores_between(*before, *after);
    std::printf(
        "  join: %zu nodes in %.1f s (%.0f/s, a fresh TLS connection each, %u threads), "
        "auth %.2f cores\n",
        out.nodes.size(), out.seconds, out.nodes.size() / std::max(out.seconds, 1e-9),
        o.join_threads, s.join_auth_cores);
    if (out.failed > 0) {
      std::printf("  join: %zu failed, the first with: %s\n", out.failed, out.first_error.c_str());
    }
    joined += out.nodes.size();
    s.joined = joined;
    if (out.nodes.empty()) {
      s.broke = "no node could join: " + out.first_error;
      return false;
    }
    f.add(std::move(out.nodes));
  }
  s.joined = joined;
  wait_established(f, joined, s);
  auto st = f.status();
  std::printf("  connect: %zu of %zu heartbeating after %.1f s (%zu connect failures%s%s)\n",
              st.established, joined, s.connect_seconds, st.connect_failures,
              st.last_connect_error.empty() ? "" : ", last: ", st.last_connect_error.c_str());
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
  const std::string put = "op=\"put\"";
  s.puts = metric_sum(b.metrics, "teleport_backend_op_seconds_count", put) -
           metric_sum(a.metrics, "teleport_backend_op_seconds_count", put);
  s.put_seconds = metric_sum(b.metrics, "teleport_backend_op_seconds_sum", put) -
                  metric_sum(a.metrics, "teleport_backend_op_seconds_sum", put);

  time_nodes_ls(o, d, s);
  print_step(etcd ? "etcd" : "lmdb", s, o);

  const double share = s.window.heartbeats_ok / std::max(s.expected_heartbeats, 1.0);
  if (s.fleet.established < joined * 99 / 100) {
    s.broke =
        std::to_string(joined - s.fleet.established) + " of " + std::to_string(joined) +
        " nodes never got a heartbeat through (last connect error: " + s.fleet.last_connect_error +
        ")";
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
    std::printf("  backend puts: %.0f/s, mean %.3f ms each (%.0f%% of one thread's time)\n",
                s.puts / w.seconds, 1e3 * s.put_seconds / s.puts,
                100.0 * s.put_seconds / w.seconds);
  }
  if (s.etcd_cores >= 0) {
    std::printf("  etcd: %.2f cores, RSS %s\n", s.etcd_cores, mib(s.etcd_rss_kib).c_str());
  }
  std::printf(
      "  this bench (the simulated nodes): %.2f cores, RSS %s; whole machine busy: %.2f "
      "of %u cores\n",
      s.bench_cores, mib(s.bench_rss_kib).c_str(), s.machine_cores,
      std::thread::hardware_concurrency());
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
    std::size_t joined = 0;
    for (std::size_t n : o.nodes) {
      step_result s;
      s.nodes = n;
      const bool go_on = run_step(o, d, daemon, etcd.get(), **f, target, *keys, joined, s);
      r.steps.push_back(s);
      if (!go_on && o.keep_going && s.measured) {
        std::printf("  [%s] fell behind at %zu nodes (%s); growing on (--keep-going)\n",
                    backend.c_str(), n, s.broke.c_str());
      } else if (!go_on) {
        std::printf("  [%s] stops growing at %zu nodes: %s\n", backend.c_str(), n, s.broke.c_str());
        break;
      }
    }
    f->reset();  // the connections close before the daemon stops
    const int code = daemon.stop();
    std::printf("[%s] teleport stopped (exit code %d)\n", backend.c_str(), code);
    if (code != 0) print_log_tail(d.log, 20);
  }
  if (etcd) etcd->stop();
  cleanup();
  return r;
}

}  // namespace tp::bench
