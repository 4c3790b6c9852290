// Prints figures for the auth service; not a test: nothing is asserted and a
// missed target is reported, not failed.
//   1. sign_user_certificate on one thread (target >= 10,000/s), with
//      `ssh-keygen -s` timed in the same run as a baseline;
//   2. control-plane round trips (ping) and TLS connects against an auth server:
//      one it starts itself (`teleport start` next to this binary), or the one
//      named by --auth-server with --identity.
//
//   bench_auth [--quick] [--teleport PATH] [--requests N]
//   bench_auth --auth-server HOST:PORT --identity FILE [--requests N] [--quick]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actors/auth/ca_sign.hpp"
#include "actors/auth/ca_store.hpp"
#include "actors/client/auth_client.hpp"
#include "actors/identity/identity_file.hpp"
#include "bench/common/processes.hpp"
#include "config/address.hpp"
#include "messages/auth_api.hpp"
#include "persistence/lmdb_backend.hpp"
#include "transport/ssh_key.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tp;
using tp::bench::daemon_process;
using tp::bench::free_port;
using tp::bench::print_log_tail;
using tp::bench::seconds_since;
using tp::bench::spawn;
using tp::bench::steady;

// The figure for one signing thread.
constexpr double k_sign_target_per_s = 10000;
constexpr auto k_ready_timeout = std::chrono::seconds{10};

struct plan {
  double sign_seconds = 3.0;
  long max_signatures = 10'000'000;  // bounds the loop even on a very fast machine
  int ssh_keygen_runs = 200;
  int requests = 2000;
  int warmup_requests = 20;  // not measured: first-use allocations, TCP slow start
  int connects = 50;
};

bool fail(const char* what, const std::string& message) {
  std::fprintf(stderr, "bench_auth: %s: %s\n", what, message.c_str());
  return false;
}

// For phases that return a figure: prints why there is none.
std::nullopt_t no_figure(const char* what, const std::string& message) {
  fail(what, message);
  return std::nullopt;
}

// Runs a short command (ssh-keygen) to completion, its output discarded; its exit code.
tp::result<int> run(const std::vector<std::string>& args) {
  return tp::bench::run(args, {}, std::chrono::seconds{60});
}

// ---- 1. signatures --------------------------------------------------------------------

// Signs on one thread for plan.sign_seconds; returns seconds per certificate,
// or nullopt after printing why it could not run. Writes the user's public key
// to `pub_file` so ssh-keygen signs the same key.
std::optional<double> bench_sign(const fs::path& dir, const fs::path& pub_file, const plan& p) {
  actors::auth::cluster_cas cas;
  {
    auto db = persistence::open_lmdb_backend(dir / "backend");
    if (!db) return no_figure("open backend", db.message());
    auto loaded = actors::auth::load_or_create_cas(**db, "bench.test");
    if (!loaded) return no_figure("load_or_create_cas", loaded.message());
    cas = std::move(*loaded);
  }  // the CAs live in memory from here; the backend (and its sweeper thread) is closed
  auto key = transport::key_pair::generate(transport::key_type::ed25519);
  if (!key) return no_figure("generate user key", key.message());
  {
    std::ofstream out(pub_file);
    out << key->pub().authorized_key("joe@bench") << "\n";
    if (!out) return no_figure("write", pub_file.string());
  }

  const std::vector<std::string> logins{"joe", "root"};
  // One signature outside the clock: checks the output and warms caches.
  auto first = actors::auth::sign_user_certificate(cas, key->pub(), "joe", logins);
  if (!first) return no_figure("sign_user_certificate", first.message());
  if (first->rfind("ssh-ed25519-cert-v01@openssh.com ", 0) != 0) {
    return no_figure("sign_user_certificate",
                     "unexpected certificate line: " + first->substr(0, 60));
  }

  long n = 0, errors = 0;
  const auto start = steady::now();
  for (; n < p.max_signatures && seconds_since(start) < p.sign_seconds; ++n) {
    if (!actors::auth::sign_user_certificate(cas, key->pub(), "joe", logins)) ++errors;
  }
  const double secs = seconds_since(start);
  if (errors > 0) {
    return no_figure("sign_user_certificate",
                     std::to_string(errors) + " of " + std::to_string(n) + " signatures failed");
  }
  const double rate = n / secs;
  std::printf("sign_user_certificate: %.0f/s (target >= %.0f/s: %s)\n", rate, k_sign_target_per_s,
              rate >= k_sign_target_per_s ? "PASS" : "FAIL");
  std::printf(
      "  %ld certificates in %.2f s on 1 thread, %.1f us each (ed25519 user CA, "
      "ed25519 key, 2 principals)\n",
      n, secs, secs / n * 1e6);
  return secs / n;
}

// Times `ssh-keygen -s` signing the same public key with a fresh ed25519 CA;
// seconds per certificate, or nullopt (printed) when ssh-keygen is unusable.
std::optional<double> bench_ssh_keygen(const fs::path& dir, const fs::path& pub_file,
                                       const plan& p) {
  const std::string ca = (dir / "ssh_keygen_ca").string();
  auto made = run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ca});
  if (!made || *made != 0) {
    std::printf("ssh-keygen -s (baseline): skipped (%s)\n",
                made ? "ssh-keygen -t ed25519 failed" : made.message().c_str());
    return std::nullopt;
  }
  const std::vector<std::string> sign = {
      "ssh-keygen", "-q", "-s", ca, "-I", "joe", "-n", "joe,root", "-V", "+1h", pub_file.string()};
  const auto start = steady::now();
  for (int i = 0; i < p.ssh_keygen_runs; ++i) {
    auto rc = run(sign);
    if (!rc || *rc != 0) {
      std::printf("ssh-keygen -s (baseline): skipped (run %d %s)\n", i + 1,
                  rc ? ("exited with " + std::to_string(*rc)).c_str() : rc.message().c_str());
      return std::nullopt;
    }
  }
  const double each = seconds_since(start) / p.ssh_keygen_runs;
  std::printf(
      "ssh-keygen -s (baseline): %.2f ms per certificate, %.0f/s (%d sequential runs; "
      "each includes process start-up and reading the key files)\n",
      each * 1e3, 1 / each, p.ssh_keygen_runs);
  return each;
}

// ---- 2. control plane -----------------------------------------------------------------

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * sorted.size()));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return percentile(v, 0.5);
}

bool bench_round_trip(const std::string& host, std::uint16_t port, const actors::identity& id,
                      const plan& p) {
  auto client = actors::auth_client::connect(host, port, id);
  if (!client) return fail("connect", client.message());
  auto& c = **client;
  auto hello = c.call_as(messages::ping_request{});
  if (!hello) return fail("ping", hello.message());
  std::printf("control plane: %s:%u, cluster %s, server version %s\n", host.c_str(),
              static_cast<unsigned>(port), hello->cluster_name.c_str(),
              hello->server_version.c_str());
  for (int i = 0; i < p.warmup_requests; ++i) {
    if (auto r = c.call_as(messages::ping_request{}); !r) return fail("ping", r.message());
  }

  std::vector<double> us;
  us.reserve(p.requests);
  const auto start = steady::now();
  for (int i = 0; i < p.requests; ++i) {
    const auto t = steady::now();
    auto r = c.call_as(messages::ping_request{});
    us.push_back(seconds_since(t) * 1e6);
    if (!r) return fail("ping", r.message());
  }
  const double total = seconds_since(start);
  std::sort(us.begin(), us.end());
  std::printf(
      "ping round trip (%d sequential, 1 connection): p50 %.0f us, p95 %.0f us, "
      "p99 %.0f us, max %.0f us\n",
      p.requests, percentile(us, 0.50), percentile(us, 0.95), percentile(us, 0.99), us.back());
  std::printf("ping requests/s (sequential): %.0f\n", p.requests / total);

  // Fresh connections. With TLS 1.3 the server checks our certificate after
  // connect() returns, so the first reply is timed too.
  std::vector<double> connect_ms, first_reply_ms;
  for (int i = 0; i < p.connects; ++i) {
    const auto t = steady::now();
    auto fresh = actors::auth_client::connect(host, port, id);
    if (!fresh) return fail("connect", fresh.message());
    connect_ms.push_back(seconds_since(t) * 1e3);
    if (auto r = (*fresh)->call_as(messages::ping_request{}); !r) return fail("ping", r.message());
    first_reply_ms.push_back(seconds_since(t) * 1e3);
  }
  std::printf(
      "connect (TCP + TLS handshake, median of %d): %.2f ms; connect + first ping: "
      "%.2f ms\n",
      p.connects, median(connect_ms), median(first_reply_ms));
  return true;
}

// Waits until the daemon has written the admin identity and answers a ping with it.
tp::result<actors::identity> wait_ready(daemon_process& daemon, const fs::path& id_path,
                                        std::uint16_t port) {
  const auto deadline = steady::now() + k_ready_timeout;
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
      } else if (auto c = actors::auth_client::connect("127.0.0.1", port, *id); !c) {
        last = c.message();
      } else if (auto r = (*c)->call_as(messages::ping_request{}, std::chrono::seconds{2}); !r) {
        last = r.message();
      } else {
        return std::move(*id);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return tp::make_error("teleport was not ready within " + std::to_string(k_ready_timeout.count()) +
                        " s (last: " + last + ")");
}

// Starts an auth-only teleport on a free loopback port in `dir`, measures, stops it.
bool bench_own_daemon(const fs::path& dir, const fs::path& teleport, const plan& p) {
  std::error_code ec;
  if (!fs::exists(teleport, ec)) {
    return fail("daemon", "no teleport binary at " + teleport.string() +
                              " (build the teleport target, or pass --teleport PATH)");
  }
  auto port = free_port();
  if (!port) return fail("free port", port.message());
  const fs::path data_dir = dir / "data";
  const fs::path yaml = dir / "teleport.yaml";
  const fs::path log = dir / "teleport.log";
  {
    std::ofstream out(yaml);
    out << "teleport:\n"
        << "  nodename: bench-auth\n"
        << "  data_dir: " << data_dir.string() << "\n"
        << "  log:\n"
        << "    output: stderr\n"
        << "    severity: ERROR\n"
        << "auth_service:\n"
        << "  enabled: yes\n"
        << "  cluster_name: bench.test\n"
        << "  listen_addr: 127.0.0.1:" << *port << "\n"
        << "ssh_service:\n"
        << "  enabled: no\n"
        << "proxy_service:\n"
        << "  enabled: no\n";
    if (!out) return fail("write", yaml.string());
  }
  auto pid = spawn({teleport.string(), "start", "-c", yaml.string()}, log);
  if (!pid) return fail("daemon", pid.message());
  daemon_process daemon(*pid, "teleport");
  std::printf("started %s (pid %d) on 127.0.0.1:%u\n", teleport.c_str(), static_cast<int>(*pid),
              static_cast<unsigned>(*port));

  const auto start = steady::now();
  auto id = wait_ready(daemon, actors::identity_path(data_dir.string(), "admin"), *port);
  bool ok = false;
  if (!id) {
    fail("daemon", id.message());
  } else {
    std::printf("teleport ready in %.2f s\n", seconds_since(start));
    ok = bench_round_trip("127.0.0.1", *port, *id, p);
  }
  const int code = daemon.stop();
  std::printf("teleport stopped (exit code %d)\n", code);
  if (!ok) print_log_tail(log, 20);
  return ok;
}

// ---- command line ---------------------------------------------------------------------

struct options {
  plan p;
  std::string auth_server;
  std::string identity_file;
  fs::path teleport;
  bool requests_given = false;
};

bool parse_int(const char* text, int lo, int hi, int& out) {
  const char* end = text + std::strlen(text);
  int v = 0;
  auto [ptr, ec] = std::from_chars(text, end, v);
  if (ec != std::errc{} || ptr != end || v < lo || v > hi) return false;
  out = v;
  return true;
}

// <dir of argv[0]>/teleport; /proc/self/exe's directory when argv[0] has no directory.
fs::path default_teleport(const char* argv0) {
  fs::path self(argv0);
  if (!self.has_parent_path()) {
    std::error_code ec;
    self = fs::read_symlink("/proc/self/exe", ec);
  }
  return self.parent_path() / "teleport";
}

void usage(const char* argv0) {
  std::printf(
      "usage: %s [--quick] [--teleport PATH] [--requests N]\n"
      "       %s --auth-server HOST:PORT --identity FILE [--requests N] [--quick]\n"
      "Without --auth-server: signing rate, ssh-keygen baseline, then round trips against an\n"
      "auth-only teleport started from PATH (default: next to this binary) in a temp dir.\n",
      argv0, argv0);
}

// 0: parsed; otherwise the exit code (help: 0 is returned through `exit_now`).
int parse_args(int argc, char** argv, options& o, bool& exit_now) {
  exit_now = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--quick") {
      o.p.sign_seconds = 1.0;
      o.p.ssh_keygen_runs = 50;
      if (!o.requests_given) o.p.requests = 500;
      o.p.connects = 10;
    } else if (a == "--auth-server" && has_value) {
      o.auth_server = argv[++i];
    } else if (a == "--identity" && has_value) {
      o.identity_file = argv[++i];
    } else if (a == "--teleport" && has_value) {
      o.teleport = argv[++i];
    } else if (a == "--requests" && has_value) {
      if (!parse_int(argv[++i], 1, 10'000'000, o.p.requests)) {
        std::fprintf(stderr,
                     "bench_auth: --requests wants a number from 1 to 10000000, got "
                     "\"%s\"\n",
                     argv[i]);
        return 2;
      }
      o.requests_given = true;
    } else if (a == "--help" || a == "-h") {
      usage(argv[0]);
      exit_now = true;
      return 0;
    } else {
      std::fprintf(stderr, "bench_auth: unknown argument or missing value \"%s\" (try --help)\n",
                   a.c_str());
      return 2;
    }
  }
  if (o.auth_server.empty() != o.identity_file.empty()) {
    std::fprintf(stderr, "bench_auth: --auth-server and --identity go together (try --help)\n");
    return 2;
  }
  if (o.teleport.empty()) o.teleport = default_teleport(argv[0]);
  return 0;
}

int remote_only(const options& o) {
  auto addr = config::parse_address(o.auth_server, config::default_auth_port);
  if (!addr) {
    fail("--auth-server", addr.message());
    return 2;
  }
  auto id = actors::read_identity(o.identity_file);
  if (!id) {
    fail("--identity", id.message());
    return 2;
  }
  return bench_round_trip(addr->host, addr->port, *id, o.p) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  bool exit_now = false;
  if (int rc = parse_args(argc, argv, o, exit_now); rc != 0 || exit_now) return rc;
  if (!o.auth_server.empty()) return remote_only(o);

  std::string pattern = (fs::temp_directory_path() / "tp-bench-auth-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {  // mode 0700: CA keys are written here
    std::perror("bench_auth: mkdtemp");
    return 1;
  }
  const fs::path dir = pattern;
  std::printf("auth benchmark in %s (%u cores)\n", dir.c_str(),
              std::thread::hardware_concurrency());

  bool ok = true;
  const fs::path pub_file = dir / "user.pub";
  if (auto ours = bench_sign(dir, pub_file, o.p)) {
    if (auto theirs = bench_ssh_keygen(dir, pub_file, o.p)) {
      std::printf(
          "cost ratio ours/ssh-keygen: %.4f (%.1f us vs %.2f ms per certificate; "
          "ssh-keygen's cost includes process start-up)\n",
          *ours / *theirs, *ours * 1e6, *theirs * 1e3);
    }
  } else {
    ok = false;
  }
  if (!bench_own_daemon(dir, o.teleport, o.p)) ok = false;

  std::error_code ec;
  fs::remove_all(dir, ec);
  return ok ? 0 : 1;
}
