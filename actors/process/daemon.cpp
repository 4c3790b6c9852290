#include "actors/process/daemon.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <algorithm>
#include <thread>

#include <unistd.h>
#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "actors/process/data_dir.hpp"
#include "actors/process/diag_server.hpp"
#include "actors/process/service.hpp"
#include "messages/type_ids.hpp"

namespace tp::actors {
namespace {

sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  return set;
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

}  // namespace

void block_daemon_signals() {
  sigset_t set = daemon_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_daemon(const config::teleport_config& cfg) {
  for (const auto& w : cfg.warnings) spdlog::warn("{}", w);

  const auto roles = enabled_roles(cfg);
  if (roles.empty()) {
    spdlog::error(
        "no services enabled: enable auth_service, ssh_service or proxy_service, "
        "or pass --roles");
    return 1;
  }
  if (auto st = ensure_private_dir(cfg.global.data_dir); !st) {
    spdlog::error("{}", st.message());
    return 1;
  }
  if (!cfg.global.pid_file.empty()) {
    if (auto st = write_pid_file(cfg.global.pid_file); !st) {
      spdlog::error("{}", st.message());
      return 1;
    }
  }

  const auto started = std::chrono::steady_clock::now();
  int exit_code = 0;
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
    std::unique_ptr<diag_server> diag;
    if (cfg.global.diag_addr) {
      auto d = diag_server::start(*cfg.global.diag_addr, roles);
      if (!d) {
        spdlog::error("{}", d.message());
        exit_code = 1;
      } else {
        diag = std::move(*d);
        spdlog::info("diagnostics on http://{}:{} (/metrics, /healthz, /readyz)",
                     cfg.global.diag_addr->host, diag->port());
      }
    }

    std::vector<caf::actor> services;
    for (const auto& role : roles) {
      if (exit_code != 0) break;
      auto svc = spawn_service(sys, role, cfg);
      if (!svc) {
        spdlog::error("{} service failed to start: {}", role, svc.message());
        exit_code = 1;
        break;
      }
      services.push_back(std::move(*svc));
    }
    if (exit_code == 0) {
      if (diag) diag->set_ready(true);
      spdlog::info("teleport started: roles {}, nodename {}, data_dir {}, pid {}", join(roles),
                   cfg.global.nodename, cfg.global.data_dir, ::getpid());
    }

    const sigset_t set = daemon_signals();
    while (exit_code == 0) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
      }
      if (sig == SIGUSR1) {
        const auto up = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - started);
        spdlog::info("diagnostics: pid {}, roles {}, uptime {}s, running actors {}", ::getpid(),
                     join(roles), up.count(), sys.registry().running());
      } else {
        // Graceful restart (HUP/USR2) forks a new daemon in Teleport; it needs
        // listener hand-over, which arrives with the network services.
        spdlog::warn(
            "received {}: graceful restart is not available in this version; "
            "send SIGTERM and start again",
            sig == SIGHUP ? "SIGHUP" : "SIGUSR2");
      }
    }
    if (diag) diag->set_ready(false);
    for (auto& svc : services) caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
  }  // the actor system's destructor waits for every actor to finish

  if (!cfg.global.pid_file.empty()) ::unlink(cfg.global.pid_file.c_str());
  spdlog::info("teleport stopped");
  return exit_code;
}

}  // namespace tp::actors
