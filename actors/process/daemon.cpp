#include "actors/process/daemon.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include <unistd.h>
#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "actors/metrics/registry.hpp"
#include "actors/process/data_dir.hpp"
#include "actors/process/diag_server.hpp"
#include "actors/process/restart.hpp"
#include "actors/process/service.hpp"
#include "messages/type_ids.hpp"
#include "messages/version.hpp"
#include "transport/listener_set.hpp"

namespace tp::actors {
namespace {

using namespace std::chrono_literals;

// A restarted process's auth waits this long for the old one to let go of it.
constexpr auto k_handover_wait = 60s;
// The new process must serve within this, else the old one goes on.
constexpr auto k_successor_limit = 120s;

sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT}) sigaddset(&set, sig);
  return set;
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGUSR2:
      return "SIGUSR2";
    case SIGQUIT:
      return "SIGQUIT";
    default:
      return "a signal";
  }
}

std::vector<std::string> enabled_roles(const config::teleport_config& cfg) {
  std::vector<std::string> roles;
  if (cfg.auth_service.enabled) roles.emplace_back("auth");
  if (cfg.ssh_service.enabled) roles.emplace_back("node");
  if (cfg.proxy_service.enabled) roles.emplace_back("proxy");
  return roles;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

// Client SSH connections still served here (a reverse tunnel from a leaf does
// not keep a handed-over process alive: the leaf redials the new one).
std::size_t open_client_connections() {
  double n = 0;
  for (const auto& s : metrics::global().read_gauge("teleport_ssh_connections")) {
    auto it = s.lbl.find("service");
    if (it == s.lbl.end() || it->second != "tunnel") n += s.value;
  }
  return static_cast<std::size_t>(n);
}

// While the actor system shuts down, a second SIGTERM/SIGINT or a SIGQUIT
// ends the process at once. Acknowledged audit data is already on disk.
class stop_now_watch {
 public:
  ~stop_now_watch() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void start() {
    thread_ = std::thread([this] {
      const sigset_t set = daemon_signals();
      while (!done_) {
        timespec ts{0, 200'000'000};
        const int sig = sigtimedwait(&set, nullptr, &ts);
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
          spdlog::warn("received {} while stopping: stopping now", signal_name(sig));
          spdlog::default_logger()->flush();
          std::_Exit(1);
        }
      }
    });
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Stops one service and waits until its actor has terminated.
void stop_service(caf::actor_system& sys, const caf::actor& svc) {
  caf::scoped_actor self{sys};
  self->monitor(svc);
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {},
                caf::after(std::chrono::seconds(30)) >>
                    [] { spdlog::warn("the auth service took over 30 s to stop"); });
}

struct daemon_state {
  const config::teleport_config& cfg;
  std::vector<std::string> roles;
  std::vector<caf::actor> services;  // in the order of roles
  std::unique_ptr<diag_server> diag;
  bool handed_over = false;
};

// SIGUSR2/SIGHUP: a new process takes over the listeners. Auth moves first
// (one writer of the store and the audit log); the node and proxy here keep
// their sessions and stop accepting once the new process serves. Returns false
// when this process cannot go on (auth could not be restored).
bool hand_over(caf::actor_system& sys, daemon_state& d, int sig) {
  spdlog::info("received {}: starting a new teleport to take over (graceful restart)",
               signal_name(sig));
  (void)notify_systemd("RELOADING=1");
  const auto auth = std::find(d.roles.begin(), d.roles.end(), "auth");
  const auto auth_index = static_cast<std::size_t>(auth - d.roles.begin());
  if (auth != d.roles.end()) {
    spdlog::info("handing the auth service over to the new process");
    stop_service(sys, d.services[auth_index]);
  }
  tp::status st;
  pid_t pid = -1;
  if (auto child = spawn_successor(); !child) {
    st = child.err();
  } else {
    pid = child->pid;
    st = await_successor(*child, k_successor_limit);
  }
  if (!st) {
    spdlog::error("graceful restart failed: {}; this process goes on serving", st.message());
    if (auth != d.roles.end()) {
      // The stopped auth server's thread may still be closing the store.
      auto svc = spawn_service(sys, "auth", d.cfg, std::chrono::seconds{10});
      if (!svc) {
        spdlog::error("auth service failed to start again: {}", svc.message());
        return false;
      }
      d.services[auth_index] = std::move(*svc);
    }
    (void)notify_systemd("READY=1");
    return true;
  }
  transport::stop_accepting();
  if (d.diag) d.diag->set_ready(false);
  d.handed_over = true;
  spdlog::info(
      "graceful restart: pid {} serves new connections; this process (pid {}) no longer accepts "
      "and exits when its {} open connection(s) end",
      pid, ::getpid(), open_client_connections());
  return true;
}

}  // namespace

void block_daemon_signals() {
  sigset_t set = daemon_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_daemon(const config::teleport_config& cfg) {
  for (const auto& w : cfg.warnings) spdlog::warn("{}", w);
  for (const auto& w : inherited_listener_warnings()) spdlog::warn("{}", w);

  daemon_state d{cfg, enabled_roles(cfg), {}, {}};
  if (d.roles.empty()) {
    spdlog::error(
        "no services enabled: enable auth_service, ssh_service or proxy_service, "
        "or pass --roles");
    return 1;
  }
  if (auto st = ensure_private_dir(cfg.global.data_dir); !st) {
    spdlog::error("{}", st.message());
    return 1;
  }
  // A restarted process writes it once it serves: until then the old one is
  // the service's main process, and stays so if this one fails.
  if (!cfg.global.pid_file.empty() && !started_by_restart()) {
    if (auto st = write_pid_file(cfg.global.pid_file); !st) {
      spdlog::error("{}", st.message());
      return 1;
    }
  }

  const auto started = std::chrono::steady_clock::now();
  int exit_code = 0;
  stop_now_watch stop_now;  // outlives the actor system it watches over
  {
    caf::actor_system_config sys_cfg;
    messages::add_message_types(sys_cfg);
    sys_cfg.set("logger.verbosity", caf::atom("quiet"));
    // One scheduler thread per core (CAF's default is at least 4), sharing one
    // queue: idle workers sleep on a condition variable. Work stealing polls
    // with short sleeps instead (measured: ~200,000 wake-ups for one recorded
    // 27 MB session), which takes the CPU from the reactor threads that move
    // the sessions' bytes. Our actors exchange few messages; a shared queue
    // is no bottleneck for them.
    sys_cfg.set("scheduler.max-threads",
                static_cast<std::size_t>(std::max(2u, std::thread::hardware_concurrency())));
    sys_cfg.set("scheduler.policy", caf::atom("sharing"));
    caf::actor_system sys{sys_cfg};

    // Up before the roles, so /readyz answers "starting" while they come up.
    if (cfg.global.diag_addr) {
      auto diag = diag_server::start(*cfg.global.diag_addr, d.roles);
      if (!diag) {
        spdlog::error("{}", diag.message());
        exit_code = 1;
      } else {
        d.diag = std::move(*diag);
        spdlog::info("diagnostics on http://{}:{} (/metrics, /healthz, /readyz)",
                     cfg.global.diag_addr->host, d.diag->port());
      }
    }

    const auto handover_wait =
        started_by_restart() ? std::chrono::milliseconds(k_handover_wait) : 0ms;
    for (const auto& role : d.roles) {
      if (exit_code != 0) break;
      auto svc = spawn_service(sys, role, cfg, handover_wait);
      if (!svc) {
        spdlog::error("{} service failed to start: {}", role, svc.message());
        exit_code = 1;
        break;
      }
      d.services.push_back(std::move(*svc));
    }
    transport::close_unclaimed_listeners();
    if (exit_code == 0) {
      if (d.diag) d.diag->set_ready(true);
      spdlog::info("teleport started: roles {}, nodename {}, data_dir {}, pid {}{}", join(d.roles),
                   cfg.global.nodename, cfg.global.data_dir, ::getpid(),
                   started_by_restart() ? " (took over from a graceful restart)" : "");
      if (!cfg.global.pid_file.empty() && started_by_restart()) {
        if (auto st = write_pid_file(cfg.global.pid_file); !st) spdlog::error("{}", st.message());
      }
      report_ready();
    }

    const sigset_t set = daemon_signals();
    auto last_drain_note = std::chrono::steady_clock::now();
    while (exit_code == 0) {
      timespec ts{0, 250'000'000};
      const int sig = sigtimedwait(&set, nullptr, &ts);
      if (sig < 0) {
        if (!d.handed_over) continue;
        const auto open = open_client_connections();
        if (open == 0) {
          spdlog::info("graceful restart: no open connections are left; this process exits");
          break;
        }
        if (std::chrono::steady_clock::now() - last_drain_note > 60s) {
          last_drain_note = std::chrono::steady_clock::now();
          spdlog::info("graceful restart: waiting for {} open connection(s) to end", open);
        }
        continue;
      }
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info("received {}, shutting down", signal_name(sig));
        break;
      }
      if (sig == SIGQUIT) {
        spdlog::warn("received SIGQUIT: stopping now");
        spdlog::default_logger()->flush();
        std::_Exit(1);
      }
      if (sig == SIGUSR1) {
        const auto up = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - started);
        spdlog::info(
            "diagnostics: pid {}, version {}, roles {}, uptime {}s, running actors {}, open "
            "connections {}{}",
            ::getpid(), tp::build_version(), join(d.roles), up.count(), sys.registry().running(),
            open_client_connections(), d.handed_over ? ", handed over (draining)" : "");
        continue;
      }
      if (d.handed_over) {
        spdlog::warn(
            "received {}: this process already handed over to a new one and is draining; send "
            "that one the signal, or SIGTERM/SIGQUIT to stop this one",
            signal_name(sig));
        continue;
      }
      if (!hand_over(sys, d, sig)) exit_code = 1;
    }
    stop_now.start();
    if (d.diag) d.diag->set_ready(false);
    for (auto& svc : d.services) caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
  }  // the actor system's destructor waits for every actor to finish

  if (!cfg.global.pid_file.empty() && pid_file_is_ours(cfg.global.pid_file))
    ::unlink(cfg.global.pid_file.c_str());
  spdlog::info("teleport stopped");
  return exit_code;
}

}  // namespace tp::actors
