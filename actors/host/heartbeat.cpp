#include "actors/host/heartbeat.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <deque>
#include <random>

#include "actors/client/auth_servers.hpp"
#include "actors/host/audit_spool.hpp"
#include "actors/host/auth_list.hpp"
#include "actors/host/host_atoms.hpp"
#include "actors/host/host_identity.hpp"
#include "actors/host/rotation_follow.hpp"
#include "messages/type_ids.hpp"
#include "messages/version.hpp"
#include "transport/ssh_private_key.hpp"

namespace tp::actors {
namespace {

using tick_atom = caf::atom_constant<caf::atom("tp_tick")>;
constexpr std::size_t audit_batch = 500;
constexpr std::size_t max_merged_chunk = 1u << 20;

std::size_t events_in(const messages::api_request& r) {
  if (auto* a = std::get_if<messages::audit_event_request>(&r)) return a->events.size();
  if (auto* c = std::get_if<messages::session_chunk_request>(&r)) return c->events.size();
  return 0;
}

std::size_t bytes_in(const messages::api_request& r) {
  if (auto* c = std::get_if<messages::session_chunk_request>(&r)) return c->data.size();
  return 0;
}

struct link_state {
  std::unique_ptr<auth_client> client;
  unsigned failures = 0;
  bool tick_pending = false;
  std::map<std::string, std::string> labels;  // command label -> last value
  std::deque<messages::api_request> outbox;   // audit event batches and recording chunks
  std::size_t queued_events = 0;
  std::size_t queued_bytes = 0;
  std::uint64_t audit_dropped = 0;
  std::unique_ptr<audit_spool> spool;  // what waits on disk while auth is away
  std::mt19937 rng{std::random_device{}()};
  live_identity_ptr id;
  bool rotation_unsupported = false;  // an auth server older than rotation: poll the CA keys
  std::string rotation_error;         // the last one logged
  std::string auth_used;              // the auth server connected to last
  bool learns_auth_servers = false;   // auth tells which auth servers the cluster has
  std::chrono::steady_clock::time_point next_auth_list{};  // asked at most once a minute
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
  n.spec.version = std::string(tp::build_version());
  return n;
}

namespace {

std::optional<std::vector<std::string>> blobs_of(const std::vector<std::string>& lines,
                                                 const std::string& role, const char* what) {
  std::vector<std::string> blobs;
  for (const auto& line : lines) {
    auto k = transport::public_key::from_authorized_key(line);
    if (!k) {
      spdlog::warn("{}: auth sent a {} key that does not parse: {}", role, what, k.message());
      return std::nullopt;
    }
    blobs.push_back(k->blob());
  }
  return blobs;
}

// The CAs auth vouches for now: user CAs change when trust with another cluster is
// established or removed, and both kinds during a CA rotation.
void apply_cas(const messages::ca_keys& keys, cluster_settings& settings, const std::string& role) {
  if (auto blobs = blobs_of(keys.user_ca_keys, role, "user CA"); blobs && !blobs->empty()) {
    auto old = settings.user_cas();
    if (!old || *old != *blobs) {
      if (old) spdlog::info("{}: now accepting {} user CA(s)", role, blobs->size());
      settings.set_user_cas(std::move(*blobs));
    }
  }
  if (auto blobs = blobs_of(keys.host_ca_keys, role, "host CA"); blobs && !blobs->empty()) {
    settings.set_host_cas(std::move(*blobs));
  }
}

// One heartbeat's look at the CAs (see rotation_follow.hpp). False when the
// connection must be made again (renewed certificates, or it broke).
bool follow_cas(link_state& st, const config::teleport_config& cfg, const std::string& role,
                cluster_settings* settings) {
  messages::ca_keys keys;
  bool got_keys = false;
  bool renewed = false;
  if (!st.rotation_unsupported) {
    identity id = st.id->get();
    auto step = follow_rotation(*st.client, id, keys);
    // A bad or refused answer: this heartbeat polls the keys; the next one tries again.
    const std::string problem = step ? step->renew_error : step.message();
    if (problem != st.rotation_error) {
      if (!problem.empty()) spdlog::warn("{}: cannot follow the CA rotation: {}", role, problem);
      st.rotation_error = problem;
    }
    if (!step && !st.client->is_open()) return false;
    if (step) {
      got_keys = true;
      renewed = step->renewed;
      if (step->trust_changed || step->renewed) {
        if (auto w = write_identity(identity_path(cfg.global.data_dir, role), id); !w)
          spdlog::error("{}: cannot store the identity: {}", role, w.message());
        st.id->set(id);
        spdlog::info("{}: {}", role,
                     renewed ? "renewed its certificates with the cluster's new CA"
                             : "now trusts the cluster's CAs of the ongoing rotation");
      }
    }
  }
  if (!got_keys) {
    auto old = st.client->call_as(messages::ca_keys_request{}, std::chrono::seconds{10});
    if (!old) return st.client->is_open();
    keys = std::move(*old);
  }
  if (settings) apply_cas(keys, *settings, role);
  return !renewed;  // renewed: reconnect with the new certificate
}

caf::behavior auth_link(caf::stateful_actor<link_state>* self, config::teleport_config cfg,
                        live_identity_ptr live, std::string role,
                        std::shared_ptr<cluster_settings> settings, auth_servers_ptr auths) {
  const auto base_node =
      std::make_shared<const messages::node>(announced_node(cfg, live->get(), role));
  self->state.id = live;
  self->state.spool = std::make_unique<audit_spool>(cfg.global.data_dir + "/log/upload/" + role);
  // The host as announced now: static labels and the command labels' last values.
  auto current_node = [=]() {
    messages::node n = *base_node;
    for (auto& [name, label] : n.spec.cmd_labels) {
      if (auto it = self->state.labels.find(name); it != self->state.labels.end())
        label.result = it->second;
    }
    return n;
  };

  // Connects when needed; false (and counts a failure) when auth is unreachable.
  auto connected = [=]() -> bool {
    auto& st = self->state;
    if (st.client) return true;
    auto c = auths->connect(st.id->get());
    if (!c) {
      if (st.failures++ == 0) {
        spdlog::warn("{}: cannot reach auth at {}: {}", role, auths->describe(), c.message());
      }
      return false;
    }
    if (st.auth_used != auths->current().to_string()) {  // the first, or another after a failover
      spdlog::info("{}: talking to auth at {}", role, auths->current().to_string());
      st.auth_used = auths->current().to_string();
    }
    st.client = std::move(*c);
    if (settings) {
      if (auto ping = st.client->call_as(messages::ping_request{}, std::chrono::seconds{10})) {
        st.rotation_unsupported = !auth_knows_rotation(ping->server_version);
        st.learns_auth_servers =
            auth_knows_auth_list(ping->server_version) && !cfg.auth_service.enabled;
        settings->record_at_node = ping->session_recording == "node";
        settings->record_at_proxy = ping->session_recording == "proxy";
        settings->proxy_checks_host_keys = ping->proxy_checks_host_keys;
        settings->client_idle_timeout_ms = ping->client_idle_timeout_ms;
        settings->disconnect_expired_cert = ping->disconnect_expired_cert;
      }
    }
    return true;
  };
  auto failed = [=](const std::string& what, const std::string& why) {
    auto& st = self->state;
    if (st.failures++ == 0) spdlog::warn("{}: {} failed: {}", role, what, why);
    st.client.reset();
  };
  // Sends one request; false when the connection failed (it must be kept).
  // A refusal is final: sending it again would not help.
  auto send_one = [=](const messages::api_request& r) {
    auto& st = self->state;
    auto reply = st.client->call(r, std::chrono::seconds{30});
    if (reply) return true;
    if (st.client->is_open()) {
      spdlog::error("{}: auth refused {} audit event(s)/{} recording byte(s): {}", role,
                    events_in(r), bytes_in(r), reply.message());
      return true;
    }
    failed("sending audit events", reply.message());
    return false;
  };
  // Auth is away: what waits in memory goes to disk.
  auto spill = [=] {
    auto& st = self->state;
    for (const auto& r : st.outbox) {
      if (auto s = st.spool->push(r); !s) spdlog::error("{}: {}", role, s.message());
    }
    if (!st.outbox.empty()) {
      spdlog::warn("{}: auth unreachable: {} audit request(s) kept in {}", role, st.spool->files(),
                   st.spool->dir());
    }
    st.outbox.clear();
    st.queued_events = st.queued_bytes = 0;
  };
  auto flush_audit = [=] {
    auto& st = self->state;
    // The spool first: it holds the oldest work.
    while (!st.spool->empty() && connected()) {
      std::string problem;
      auto item = st.spool->front(&problem);
      if (!problem.empty()) spdlog::error("{}: {}", role, problem);
      if (!item) break;
      if (!send_one(item->second)) {
        spill();
        return;
      }
      st.spool->pop(item->first);
    }
    while (!st.outbox.empty() && connected()) {
      if (!send_one(st.outbox.front())) {
        spill();
        return;
      }
      st.queued_events -= events_in(st.outbox.front());
      st.queued_bytes -= bytes_in(st.outbox.front());
      st.outbox.pop_front();
    }
    if (!st.outbox.empty()) spill();  // not connected
  };
  // Queues a request: on disk while auth is away, else in memory and sent.
  auto enqueue_on_disk = [=](const messages::api_request& r) {
    if (auto s = self->state.spool->push(r); !s) spdlog::error("{}: {}", role, s.message());
  };
  // Makes room for `events` more events and `bytes` more recording bytes by
  // dropping the oldest work, loudly: auth has been away too long.
  auto make_room = [=](std::size_t events, std::size_t bytes) {
    auto& st = self->state;
    while (!st.outbox.empty() && (st.queued_events + events > max_queued_audit_events ||
                                  st.queued_bytes + bytes > max_queued_recording_bytes)) {
      const auto n = events_in(st.outbox.front());
      st.queued_events -= n;
      st.queued_bytes -= bytes_in(st.outbox.front());
      st.outbox.pop_front();
      st.audit_dropped += std::max<std::size_t>(n, 1);
      spdlog::error("{}: audit queue full while auth is unreachable; dropped {} item(s) so far",
                    role, st.audit_dropped);
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
          messages::heartbeat_request hb{current_node(), role, heartbeat_ttl.count()};
          auto r = st.client->call_as(std::move(hb), std::chrono::seconds{10});
          if (r) {
            if (st.failures > 0) spdlog::info("{}: connected to auth again", role);
            st.failures = 0;
            if (!follow_cas(st, cfg, role, settings.get())) st.client.reset();
            // The list changes rarely: asking with every heartbeat would load auth for nothing.
            const auto now = std::chrono::steady_clock::now();
            if (st.client && st.learns_auth_servers && now >= st.next_auth_list) {
              st.next_auth_list = now + std::chrono::minutes{1};
              (void)learn_auth_servers(*st.client, *auths, cfg.global.data_dir, role);
            }
          } else {
            failed("heartbeat", r.message());
          }
        }
        flush_audit();
        schedule();
      },
      [=](audit_atom, std::string& event) {
        auto& st = self->state;
        if (st.failures > 0) {
          enqueue_on_disk(messages::audit_event_request{{std::move(event)}});
          return;
        }
        make_room(1, 0);
        auto* batch = st.outbox.empty()
                          ? nullptr
                          : std::get_if<messages::audit_event_request>(&st.outbox.back());
        if (batch == nullptr || batch->events.size() >= audit_batch) {
          st.outbox.emplace_back(messages::audit_event_request{});
          batch = &std::get<messages::audit_event_request>(st.outbox.back());
        }
        batch->events.push_back(std::move(event));
        ++st.queued_events;
        if (st.failures == 0) flush_audit();
      },
      [=](messages::api_request& request) {
        auto* chunk = std::get_if<messages::session_chunk_request>(&request);
        if (chunk == nullptr) return;
        auto& st = self->state;
        if (st.failures > 0) {
          enqueue_on_disk(request);
          return;
        }
        make_room(chunk->events.size(), chunk->data.size());
        st.queued_events += chunk->events.size();
        st.queued_bytes += chunk->data.size();
        // Output that waits behind a slow auth travels in fewer, larger chunks.
        auto* last = st.outbox.empty()
                         ? nullptr
                         : std::get_if<messages::session_chunk_request>(&st.outbox.back());
        if (last != nullptr && last->sid == chunk->sid &&
            last->offset + last->data.size() == chunk->offset &&
            last->data.size() + chunk->data.size() <= max_merged_chunk) {
          last->data += chunk->data;
          for (auto& e : chunk->events) last->events.push_back(std::move(e));
        } else {
          st.outbox.push_back(std::move(request));
        }
        if (st.failures == 0) flush_audit();
      },
      [=](label_atom, const std::string& name, const std::string& value) {
        self->state.labels[name] = value;
        if (settings) settings->set_labels(current_node().all_labels());
      },
  };
}

}  // namespace

caf::actor spawn_heartbeat(caf::actor_system& sys, const config::teleport_config& cfg,
                           live_identity_ptr id, std::string role,
                           std::shared_ptr<cluster_settings> settings, auth_servers_ptr auths) {
  if (!auths) auths = std::make_shared<auth_servers>(auth_addresses(cfg));
  return sys.spawn<caf::detached>(auth_link, cfg, std::move(id), std::move(role),
                                  std::move(settings), std::move(auths));
}

}  // namespace tp::actors
