#include "actors/host/heartbeat.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/client/auth_client.hpp"
#include "actors/host/host_identity.hpp"

namespace tp::actors {
namespace {

using tick_atom = caf::atom_constant<caf::atom("tp_tick")>;

struct heartbeat_state {
  std::unique_ptr<auth_client> client;
  bool failing = false;
  static inline const char* name = "heartbeat";
};

std::string reachable_host(const config::teleport_config& cfg, const std::string& listen_host) {
  if (listen_host != "0.0.0.0" && listen_host != "::" && !listen_host.empty()) return listen_host;
  if (!cfg.global.advertise_ip.empty()) return cfg.global.advertise_ip;
  return "127.0.0.1";
}

}  // namespace

messages::node announced_node(const config::teleport_config& cfg, const identity& id,
                              const std::string& role) {
  messages::node n;
  n.meta.name = id.host_id;
  n.spec.hostname = cfg.global.nodename;
  if (role == "proxy") {
    const auto& a = cfg.proxy_service.listen_addr;
    n.spec.addr = reachable_host(cfg, a.host) + ":" + std::to_string(a.port);
    if (!cfg.proxy_service.public_addr.empty()) {
      n.spec.public_addr = cfg.proxy_service.public_addr.front().to_string();
    }
  } else {
    const auto& a = cfg.ssh_service.listen_addr;
    n.spec.addr = reachable_host(cfg, a.host) + ":" + std::to_string(a.port);
    if (!cfg.ssh_service.public_addr.empty()) {
      n.spec.public_addr = cfg.ssh_service.public_addr.front().to_string();
    }
    n.meta.labels = cfg.ssh_service.labels;
  }
  return n;
}

namespace {

caf::behavior heartbeat(caf::stateful_actor<heartbeat_state>* self, config::teleport_config cfg,
                        identity id, std::string role) {
  self->send(self, tick_atom::value);
  return {[=](tick_atom) {
    auto& st = self->state;
    const auto auth = auth_address(cfg);
    if (!st.client) {
      auto c = auth_client::connect(auth.host, auth.port, id);
      if (c) st.client = std::move(*c);
      else if (!st.failing) spdlog::warn("{}: cannot reach auth at {}: {}", role, auth.to_string(), c.message());
    }
    if (st.client) {
      messages::heartbeat_request hb{announced_node(cfg, id, role), role, heartbeat_ttl.count()};
      auto r = st.client->call_as(std::move(hb), std::chrono::seconds{10});
      if (r) {
        if (st.failing) spdlog::info("{}: heartbeats to auth resumed", role);
        st.failing = false;
      } else {
        if (!st.failing) spdlog::warn("{}: heartbeat to auth failed: {}", role, r.message());
        st.failing = true;
        st.client.reset();
      }
    } else {
      st.failing = true;
    }
    // Retry sooner while auth is unreachable.
    self->delayed_send(self, st.failing ? std::chrono::seconds{5} : heartbeat_interval,
                       tick_atom::value);
  }};
}

}  // namespace

caf::actor spawn_heartbeat(caf::actor_system& sys, const config::teleport_config& cfg, identity id,
                           std::string role) {
  return sys.spawn<caf::detached>(heartbeat, cfg, std::move(id), std::move(role));
}

}  // namespace tp::actors
