#include "actors/host/heartbeat.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <deque>
#include <random>

#include "actors/client/auth_client.hpp"
#include "actors/host/host_atoms.hpp"
#include "actors/host/host_identity.hpp"
#include "transport/ssh_private_key.hpp"

namespace tp::actors {
namespace {

using tick_atom = caf::atom_constant<caf::atom("tp_tick")>;
constexpr std::size_t audit_batch = 500;

struct link_state {
  std::unique_ptr<auth_client> client;
  unsigned failures = 0;
  bool tick_pending = false;
  std::map<std::string, std::string> labels;  // command label -> last value
  std::deque<std::string> audit_queue;
  std::uint64_t audit_dropped = 0;
  std::mt19937 rng{std::random_device{}()};
  static inline const char* name = "auth_link";
};

std::string reachable_host(const config::teleport_config& cfg, const std::string& listen_host) {
  if (listen_host != "0.0.0.0" && listen_host != "::" && !listen_host.empty()) return listen_host;
  if (!cfg.global.advertise_ip.empty()) return cfg.global.advertise_ip;
  return "127.0.0.1";
}

}  // namespace

std::chrono::milliseconds reconnect_delay(unsigned failures, double jitter_fraction) {
  const unsigned shift = std::min(failures == 0 ? 0u : failures - 1, 5u);
  const auto base = std::min<std::int64_t>(1000LL << shift, 30'000);
  const auto jitter = static_cast<std::int64_t>(static_cast<double>(base) * 0.5 * jitter_fraction);
  return std::chrono::milliseconds{base + jitter};
}

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
    for (const auto& c : cfg.ssh_service.commands) {
      n.spec.cmd_labels[c.name] = messages::command_label{c.period, c.command, ""};
    }
  }
  if (auto key = transport::parse_openssh_private_key(id.ssh_private_key)) {
    n.spec.host_key = key->pub().authorized_key();
  }
  return n;
}

namespace {

caf::behavior auth_link(caf::stateful_actor<link_state>* self, config::teleport_config cfg,
                        identity id, std::string role) {
  const auto base_node = std::make_shared<const messages::node>(announced_node(cfg, id, role));
  const auto auth = auth_address(cfg);

  // Connects when needed; false (and counts a failure) when auth is unreachable.
  auto connected = [=]() -> bool {
    auto& st = self->state;
    if (st.client) return true;
    auto c = auth_client::connect(auth.host, auth.port, id);
    if (!c) {
      if (st.failures++ == 0) {
        spdlog::warn("{}: cannot reach auth at {}: {}", role, auth.to_string(), c.message());
      }
      return false;
    }
    st.client = std::move(*c);
    return true;
  };
  auto failed = [=](const std::string& what, const std::string& why) {
    auto& st = self->state;
    if (st.failures++ == 0) spdlog::warn("{}: {} failed: {}", role, what, why);
    st.client.reset();
  };
  auto flush_audit = [=] {
    auto& st = self->state;
    while (!st.audit_queue.empty() && connected()) {
      messages::audit_event_request req;
      const auto n = std::min(st.audit_queue.size(), audit_batch);
      req.events.assign(st.audit_queue.begin(), st.audit_queue.begin() + n);
      auto r = st.client->call_as(std::move(req), std::chrono::seconds{10});
      if (!r) {
        failed("sending audit events", r.message());
        return;
      }
      st.audit_queue.erase(st.audit_queue.begin(), st.audit_queue.begin() + n);
    }
  };
  auto schedule = [=] {
    auto& st = self->state;
    if (st.tick_pending) return;
    st.tick_pending = true;
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    const auto delay = st.failures == 0 ? std::chrono::milliseconds{heartbeat_interval}
                                        : reconnect_delay(st.failures, jitter(st.rng));
    self->delayed_send(self, delay, tick_atom::value);
  };

  self->send(self, tick_atom::value);
  self->state.tick_pending = true;
  return {
      [=](tick_atom) {
        auto& st = self->state;
        st.tick_pending = false;
        if (connected()) {
          messages::node n = *base_node;
          for (auto& [name, label] : n.spec.cmd_labels) {
            if (auto it = st.labels.find(name); it != st.labels.end()) label.result = it->second;
          }
          messages::heartbeat_request hb{std::move(n), role, heartbeat_ttl.count()};
          auto r = st.client->call_as(std::move(hb), std::chrono::seconds{10});
          if (r) {
            if (st.failures > 0) spdlog::info("{}: connected to auth again", role);
            st.failures = 0;
          } else {
            failed("heartbeat", r.message());
          }
        }
        flush_audit();
        schedule();
      },
      [=](audit_atom, std::string& event) {
        auto& st = self->state;
        if (st.audit_queue.size() >= max_queued_audit_events) {
          st.audit_queue.pop_front();
          if (st.audit_dropped++ % 1000 == 0) {
            spdlog::error("{}: audit queue full while auth is unreachable; dropped {} event(s)",
                          role, st.audit_dropped);
          }
        }
        st.audit_queue.push_back(std::move(event));
        if (st.failures == 0) flush_audit();
      },
      [=](label_atom, const std::string& name, const std::string& value) {
        self->state.labels[name] = value;
      },
  };
}

}  // namespace

caf::actor spawn_heartbeat(caf::actor_system& sys, const config::teleport_config& cfg, identity id,
                           std::string role) {
  return sys.spawn<caf::detached>(auth_link, cfg, std::move(id), std::move(role));
}

}  // namespace tp::actors
