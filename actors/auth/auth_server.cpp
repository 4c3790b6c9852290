#include "actors/auth/auth_server.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

#include "actors/audit/audit_file.hpp"
#include "actors/audit/audit_log.hpp"
#include "actors/auth/auth_atoms.hpp"
#include "actors/auth/authorizer.hpp"
#include "actors/auth/join_token.hpp"
#include "actors/auth/trust_exchange.hpp"
#include "actors/host/host_atoms.hpp"
#include "actors/identity/secrets.hpp"
#include "actors/metrics/registry.hpp"
#include "messages/api_codec.hpp"
#include "messages/type_ids.hpp"

namespace tp::actors::auth {
namespace {

using namespace tp::messages;

// A heartbeat waiting for its batch's write (see flush_heartbeats).
struct pending_beat {
  heartbeat_request beat;
  std::string who;
  caf::typed_response_promise<api_reply> rp;
};

// Heartbeats are most of what auth serves; one backend transaction per batch turns
// an fsync per heartbeat into one per batch (etcd: one round trip).
constexpr std::size_t max_heartbeat_batch = 128;

struct auth_server_state {
  std::shared_ptr<auth_core> core;
  std::vector<pending_beat> beats;                 // in arrival order
  bool flush_queued = false;                       // a flush_atom is in the mailbox
  std::map<std::string, caf::actor> token_timers;  // sha256(token) -> join_token actor
  // Host ID -> when its record lapses without another heartbeat; swept every tick.
  // (Once an actor and a timer per host: a message per heartbeat to another thread.)
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> presence;
  caf::actor audit_log;  // serves the audit requests
  static inline const char* name = "auth_server";
};

const char* request_name(const api_request& r) {
  static constexpr const char* names[] = {"join",
                                          "ping",
                                          "ca_keys",
                                          "sign_user",
                                          "sign_host",
                                          "upsert",
                                          "get",
                                          "delete",
                                          "signup",
                                          "create_token",
                                          "list_tokens",
                                          "delete_token",
                                          "heartbeat",
                                          "audit_events",
                                          "signup_info",
                                          "complete_signup",
                                          "ssh_login",
                                          "audit_query",
                                          "audit_verify",
                                          "session_chunk",
                                          "recording",
                                          "list_sessions",
                                          "validate_trusted_cluster",
                                          "report_tunnels",
                                          "remote_clusters",
                                          "delete_remote_cluster",
                                          "rotate_ca",
                                          "rotation_status",
                                          "renew_identity",
                                          "update_remote_cas",
                                          "auth_servers",
                                          "proxy_keys"};
  static_assert(std::size(names) == std::variant_size_v<api_request>);
  return names[r.index()];
}

std::string who_text(const caller& who) {
  return who.roles.empty() ? "unauthenticated client at " + who.remote_address
                           : who.name + "@" + who.remote_address;
}

void start_timer(caf::stateful_actor<auth_server_state>* self, const std::string& token,
                 std::int64_t expires_unix) {
  if (expires_unix == 0) return;
  const std::chrono::system_clock::time_point at{std::chrono::seconds{expires_unix}};
  auto timer = spawn_join_token(self->system(), caf::actor_cast<caf::actor>(self), token, at);
  self->link_to(timer);  // timers die with the server; their normal exit is ignored
  self->state.token_timers[sha256_hex(token)] = std::move(timer);
}

void stop_timer(caf::stateful_actor<auth_server_state>* self, const std::string& token) {
  auto it = self->state.token_timers.find(sha256_hex(token));
  if (it == self->state.token_timers.end()) return;
  self->unlink_from(it->second);  // its shutdown must not take the server down
  self->send_exit(it->second, caf::exit_reason::user_shutdown);
  self->state.token_timers.erase(it);
}

// One trust exchange with a root cluster (blocking HTTPS), off the auth server's
// thread: answers the root's CAs or an error, then quits.
caf::behavior trust_worker(caf::event_based_actor* self, ca_keys own, trust_exchange_options opts) {
  return {[self, own, opts](api_request& r) -> api_reply {
    self->quit();
    auto* up = std::get_if<upsert_resource_request>(&r);
    auto* tc = up ? std::get_if<trusted_cluster>(&up->res) : nullptr;
    if (tc == nullptr) return api_error{api_errc::internal, "not a trusted cluster"};
    auto cas = exchange_trust(*tc, own, opts);
    if (!cas) return api_error{api_errc::bad_parameter, cas.message()};
    return std::move(*cas);
  }};
}

// `tctl create` of an enabled trusted_cluster: exchange CAs with the root first,
// store only if that worked.
caf::result<api_reply> establish_trust(caf::stateful_actor<auth_server_state>* self,
                                       const caller& who, api_request& request) {
  auto& up = std::get<upsert_resource_request>(request);
  auto tc = std::get<trusted_cluster>(up.res);
  if (auto st = authorize(who, request); !st) {
    return api_reply{api_error{api_errc::access_denied, st.message()}};
  }
  auto& core = *self->state.core;
  if (auto st = validate_name(tc.meta.name); !st) {
    return api_reply{api_error{api_errc::bad_parameter, "trusted cluster name: " + st.message()}};
  }
  if (up.create_only && core.resources().get(resource_kind::trusted_cluster, tc.meta.name)) {
    return api_reply{api_error{
        api_errc::already_exists,
        "trusted_cluster \"" + tc.meta.name + "\" already exists; use -f to overwrite it"}};
  }
  ca_keys own = core.own_public_cas();
  own.tls_ca_pem.clear();  // the control plane's CA stays inside the cluster
  trust_exchange_options opts;
  opts.insecure = core.options().insecure_trust;
  auto worker = self->spawn<caf::detached>(trust_worker, std::move(own), opts);
  auto rp = self->make_response_promise<api_reply>();
  spdlog::info("trusted cluster {}: exchanging CAs with {}", tc.meta.name, tc.spec.web_proxy_addr);
  self->request(worker, std::chrono::seconds{60}, std::move(request))
      .then(
          [self, rp, tc](api_reply& reply) mutable {
            if (auto* remote = std::get_if<ca_keys>(&reply)) {
              reply = self->state.core->store_trust(tc, *remote);
            }
            if (auto* err = std::get_if<api_error>(&reply)) {
              spdlog::warn("trusted cluster {}: {}", tc.meta.name, err->message);
            }
            rp.deliver(std::move(reply));
          },
          [rp, tc](caf::error& e) mutable {
            rp.deliver(api_reply{
                api_error{api_errc::internal, "the trust exchange with " + tc.meta.name +
                                                  " did not finish: " + caf::to_string(e)}});
          });
  return rp;
}

void count_request(const char* what, bool ok) {
  metrics::global()
      .get_counter("teleport_auth_requests_total", "Auth API requests served, by kind and outcome.",
                   {{"request", what}, {"result", ok ? "ok" : "error"}})
      .inc();
}

bool is_trust_request(const api_request& r) {
  auto* up = std::get_if<upsert_resource_request>(&r);
  auto* tc = up ? std::get_if<trusted_cluster>(&up->res) : nullptr;
  return tc != nullptr && tc->spec.enabled;
}

// A host that announced itself: its record lives another TTL.
void note_heartbeat(caf::stateful_actor<auth_server_state>* self, const heartbeat_request& beat,
                    std::chrono::steady_clock::time_point now) {
  const auto ttl = std::chrono::seconds{std::clamp<std::int64_t>(beat.ttl_seconds, 10, 3600)};
  auto [it, added] = self->state.presence.insert_or_assign(beat.server.meta.name, now + ttl);
  if (added) {
    spdlog::info("{} {} ({}) is online at {}", beat.role, beat.server.spec.hostname,
                 beat.server.meta.name, beat.server.spec.addr);
  }
  static auto& nodes = metrics::global().get_counter(
      "teleport_heartbeats_received_total", "Heartbeats of nodes and proxies received by auth.",
      {{"role", "node"}});
  static auto& proxies = metrics::global().get_counter(
      "teleport_heartbeats_received_total", "Heartbeats of nodes and proxies received by auth.",
      {{"role", "proxy"}});
  (beat.role == "proxy" ? proxies : nodes).inc();
}

// No heartbeat within its TTL: the host leaves the registry (its record's own
// TTL in the backend covers a restart of auth).
void host_offline(caf::stateful_actor<auth_server_state>* self, const std::string& host) {
  if (self->state.audit_log) self->send(self->state.audit_log, host_gone_atom::value, host);
  auto st = self->state.core->resources().remove(resource_kind::node, host);
  if (st.is(persistence::error_kind::not_found)) st = self->state.core->remove_proxy(host);
  if (st || st.is(persistence::error_kind::not_found)) {
    spdlog::info("host {} went offline: no heartbeat within its TTL", host);
  } else {
    spdlog::warn("host {} went offline but its record stays: {}", host, st.message());
  }
}

void sweep_presence(caf::stateful_actor<auth_server_state>* self) {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::string> gone;
  for (const auto& [host, until] : self->state.presence) {
    if (until <= now) gone.push_back(host);
  }
  for (const auto& host : gone) {
    self->state.presence.erase(host);
    host_offline(self, host);
  }
}

// Writes the waiting heartbeats in one go and answers each: a host hears back only
// once its record is durable, as with a single write.
void flush_heartbeats(caf::stateful_actor<auth_server_state>* self) {
  auto& st = self->state;
  if (st.beats.empty()) return;
  std::vector<pending_beat> pending = std::move(st.beats);
  st.beats.clear();
  std::vector<heartbeat_request> beats;
  beats.reserve(pending.size());
  for (auto& p : pending) beats.push_back(std::move(p.beat));
  auto replies = st.core->heartbeats(beats);
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const auto* err = std::get_if<api_error>(&replies[i]);
    count_request("heartbeat", err == nullptr);
    if (err != nullptr) {
      spdlog::warn("auth API heartbeat by {} refused: {}", pending[i].who, describe(*err));
    } else {
      note_heartbeat(self, beats[i], now);
    }
    pending[i].rp.deliver(std::move(replies[i]));
  }
}

// How often automatic rotations are moved on and other auth servers' CA changes noticed.
constexpr std::chrono::seconds rotation_tick_interval{1};

caf::behavior auth_server(caf::stateful_actor<auth_server_state>* self,
                          std::shared_ptr<std::shared_ptr<auth_core>> box) {
  // Taken out of the box: CAF keeps the spawn arguments as long as the actor object
  // (a pending tick keeps it up to a second past its end), but the core, and with it
  // the backend and data_dir/auth.lock, must go with the state when the actor ends.
  self->state.core = std::move(*box);
  if (auto store = self->state.core->audit()) {
    auto log = spawn_audit_log(self->system(), store);
    self->link_to(log);
    self->state.core->set_audit_sink(
        [log](nlohmann::json e) { caf::anon_send(log, audit_atom::value, event_text(e)); });
    self->state.audit_log = std::move(log);
  }
  if (auto tokens = self->state.core->tokens().list(std::chrono::system_clock::now())) {
    for (const auto& t : *tokens) start_timer(self, t.token, t.expires_unix);
  }
  self->delayed_send(self, rotation_tick_interval, tick_atom::value);
  return {
      [self](tick_atom) {
        self->state.core->tick();
        self->state.core->announce();
        sweep_presence(self);
        self->delayed_send(self, rotation_tick_interval, tick_atom::value);
      },
      [self](flush_atom) {
        self->state.flush_queued = false;
        flush_heartbeats(self);
      },
      [self](caller& who, api_request& request) -> caf::result<api_reply> {
        const char* what = request_name(request);
        if (auto* hb = std::get_if<heartbeat_request>(&request)) {
          if (auto st = authorize(who, request); !st) {
            count_request(what, false);
            spdlog::warn("auth API {} by {} refused: {}", what, who_text(who), st.message());
            return api_reply{api_error{api_errc::access_denied, st.message()}};
          }
          // Answered by the flush: after the heartbeats already in the mailbox joined it.
          auto& st = self->state;
          auto rp = self->make_response_promise<api_reply>();
          st.beats.push_back(pending_beat{std::move(*hb), who_text(who), rp});
          if (st.beats.size() >= max_heartbeat_batch) {
            flush_heartbeats(self);
          } else if (!st.flush_queued) {
            st.flush_queued = true;
            self->send(self, flush_atom::value);
          }
          return rp;
        }
        if (self->state.audit_log && audit_store::handles(request)) {
          if (auto st = authorize(who, request); !st) {
            spdlog::warn("auth API {} by {} refused: {}", what, who_text(who), st.message());
            return api_reply{api_error{api_errc::access_denied, st.message()}};
          }
          // The audit log answers the caller itself, once the write is durable.
          self->delegate(self->state.audit_log, std::move(who), std::move(request));
          return caf::delegated<api_reply>{};
        }
        if (is_trust_request(request)) return establish_trust(self, who, request);
        std::string deleted_token;
        if (auto* del = std::get_if<delete_token_request>(&request)) deleted_token = del->token;
        if (auto* del = std::get_if<delete_resource_request>(&request);
            del && del->kind == resource_kind::token) {
          deleted_token = del->name;
        }
        const bool creates_token = std::holds_alternative<create_token_request>(request) ||
                                   std::holds_alternative<create_signup_request>(request);

        api_reply reply = self->state.core->handle(who, std::move(request));
        count_request(what, !std::holds_alternative<api_error>(reply));

        if (auto* err = std::get_if<api_error>(&reply)) {
          spdlog::warn("auth API {} by {} refused: {}", what, who_text(who), describe(*err));
          return reply;
        }
        spdlog::debug("auth API {} by {}", what, who_text(who));
        if (auto* info = std::get_if<token_info>(&reply); info && creates_token) {
          start_timer(self, info->token, info->expires_unix);
        }
        if (!deleted_token.empty()) stop_timer(self, deleted_token);
        return reply;
      },
      [self](expire_atom, const std::string& token) {
        // The token stopped working at its expiry (every use checks it) and the
        // backend's TTL removes its record; this only tells the operator.
        self->state.token_timers.erase(sha256_hex(token));
        spdlog::info("a join or signup token expired");
      },
  };
}

}  // namespace

caf::actor spawn_auth_server(caf::actor_system& sys, std::unique_ptr<auth_core> core) {
  // CAF copies spawn arguments: the core travels as a shared_ptr.
  return sys.spawn<caf::detached>(auth_server,
                                  std::make_shared<std::shared_ptr<auth_core>>(std::move(core)));
}

}  // namespace tp::actors::auth
