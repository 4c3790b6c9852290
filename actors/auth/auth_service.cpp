#include "actors/auth/auth_service.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <memory>
#include <mutex>

#include "actors/auth/auth_core.hpp"
#include "actors/auth/auth_server.hpp"
#include "actors/auth/auth_storage.hpp"
#include "actors/auth/ca_export.hpp"
#include "actors/auth/ca_store.hpp"
#include "actors/auth/control_plane.hpp"
#include "actors/auth/local_identities.hpp"
#include "actors/auth/schema.hpp"
#include "actors/host/outbound_proxy.hpp"
#include "actors/identity/identity_file.hpp"
#include "messages/version.hpp"
#include "persistence/file_lock.hpp"
#include "transport/x509_ca.hpp"

namespace tp::actors::auth {
namespace {

struct auth_state {
  std::shared_ptr<control_plane> plane;
  caf::actor server;
  static inline const char* name = "auth_service";
};

caf::behavior auth_service(caf::stateful_actor<auth_state>* self,
                           std::shared_ptr<control_plane> plane, caf::actor server) {
  self->state.plane = std::move(plane);
  self->state.server = server;
  self->link_to(server);
  self->attach_functor([plane = self->state.plane] {
    plane->stop();  // closes every connection before the auth server goes
    spdlog::info("auth service stopped");
  });
  return {[](caf::get_atom) {}};
}

// The names auth's TLS certificate answers to, for clients that check them.
std::vector<std::string> server_hosts(const config::teleport_config& cfg) {
  std::vector<std::string> hosts = {"localhost", "127.0.0.1", "::1"};
  auto add = [&](const std::string& h) {
    if (h.empty() || h == "0.0.0.0" || h == "::") return;
    if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
  };
  add(cfg.auth_service.listen_addr.host);
  add(cfg.global.advertise_ip);
  for (const auto& a : cfg.auth_service.public_addr) add(a.host);
  return hosts;
}

tp::result<transport::tls_credentials> server_credentials(const auth_core& core,
                                                          const std::string& host_id,
                                                          const config::teleport_config& cfg) {
  const auto now = std::chrono::system_clock::now();
  transport::leaf_request req;
  req.name = host_id;
  req.roles = {"auth"};
  req.hosts = server_hosts(cfg);
  req.not_before = now - std::chrono::minutes{1};
  const auto& issuer = core.cas().tls_server_issuer;
  req.not_after = std::min(now + std::chrono::hours{24 * 365}, issuer.cert.not_after());
  return transport::issue_credentials(issuer, req);
}

// The CAs the control plane trusts besides the one that issued its own certificate.
std::vector<transport::x509_certificate> other_tls_cas(const cluster_cas& cas) {
  std::vector<transport::x509_certificate> out;
  for (const auto& c : cas.tls_trusted) {
    if (!(c == cas.tls_server_issuer.cert)) out.push_back(c);
  }
  return out;
}

// Where other hosts reach this auth server: its public_addr, else its listen address
// when that names one host, else advertise_ip with the listen port; "" when unknown.
std::string advertise_address(const config::teleport_config& cfg) {
  const auto& a = cfg.auth_service;
  if (!a.public_addr.empty()) return a.public_addr.front().to_string();
  const auto& l = a.listen_addr;
  if (!l.host.empty() && l.host != "0.0.0.0" && l.host != "::") return l.to_string();
  if (!cfg.global.advertise_ip.empty()) {
    return config::address{cfg.global.advertise_ip, l.port}.to_string();
  }
  return {};
}

}  // namespace

tp::result<caf::actor> spawn_auth_service(caf::actor_system& sys,
                                          const config::teleport_config& cfg,
                                          std::chrono::milliseconds lock_wait) {
  const std::string lock_path = cfg.global.data_dir + "/auth.lock";
  if (lock_wait.count() > 0)
    spdlog::info("waiting up to {} s for the previous process to hand over {}",
                 lock_wait.count() / 1000, lock_path);
  auto lock = persistence::lock_file(lock_path, lock_wait);
  if (!lock)
    return make_error("another teleport runs the auth service on data_dir " + cfg.global.data_dir +
                      " (" + lock.message() + "); stop it or give this one its own data_dir");
  auto db = open_backend(cfg);
  if (!db) return db.err();
  auto schema = migrate_schema(**db);
  if (!schema) return schema.err();
  if (schema->from != 0 && schema->from != schema->to)
    spdlog::info("storage schema migrated from version {} to {} ({} record(s) updated)",
                 schema->from, schema->to, schema->records_changed);
  auto name = load_or_create_cluster_name(**db, cfg.auth_service.cluster_name);
  if (!name) return name.err();
  auto cas = load_or_create_cas(**db, *name);
  if (!cas) return cas.err();
  spdlog::info("{} certificate authorities: user {}, host {}, TLS CA pin {}",
               cas->created ? "created" : "loaded", cas->user.pub().fingerprint(),
               cas->host.pub().fingerprint(), ca_pin(*cas));

  // The trust exchange with trusted clusters goes through HTTPS_PROXY when set: a
  // malformed one is refused at start, not at the first tctl create.
  if (auto st = check_outbound_proxy(); !st) return st.err();
  auth_core_options options;
  options.server_version = std::string(tp::build_version());
  options.static_tokens = cfg.auth_service.tokens;
  options.audit_dir = cfg.global.data_dir + "/log";
  options.session_recording = std::string(to_string(cfg.auth_service.session_recording));
  options.proxy_checks_host_keys = cfg.auth_service.proxy_checks_host_keys;
  options.client_idle_timeout_ms =
      static_cast<std::uint64_t>(cfg.auth_service.client_idle_timeout.count());
  options.disconnect_expired_cert = cfg.auth_service.disconnect_expired_cert;
  options.insecure_trust = cfg.global.insecure;
  if (auto id = load_or_create_host_id(cfg.global.data_dir)) options.server_id = *id;
  options.advertise_addr = advertise_address(cfg);
  options.owner_lock = std::shared_ptr<persistence::file_lock>(std::move(*lock));
  auto core = std::make_unique<auth_core>(*db, std::move(*cas), std::move(options));
  if (auto st = core->start(); !st) return st.err();
  if (auto st = write_admin_identity(*core, cfg.global.data_dir); !st) {
    return make_error("writing the admin identity for tctl: " + st.message());
  }
  if (auto st = ensure_local_host_identities(*core, cfg); !st) return st.err();
  auto host_id = load_or_create_host_id(cfg.global.data_dir);
  if (!host_id) return host_id.err();
  auto creds = server_credentials(*core, *host_id, cfg);
  if (!creds) return make_error("issuing the auth server's TLS certificate: " + creds.message());

  transport::tls_server_config tls;
  tls.bind_address = cfg.auth_service.listen_addr.host;
  tls.port = cfg.auth_service.listen_addr.port;
  tls.credentials = std::move(*creds);
  tls.ca = core->cas().tls_server_issuer.cert;
  tls.also_trusted = other_tls_cas(core->cas());
  tls.max_connections = cfg.global.limits.max_connections;

  // A rotation step: tctl's identity and the control plane's certificate follow the CAs.
  // Filled once the plane listens; read on the auth server's thread.
  struct plane_ref {
    std::mutex mu;
    std::weak_ptr<control_plane> plane;
  };
  auto plane_slot = std::make_shared<plane_ref>();
  core->set_on_cas_changed([plane_slot, cfg, host_id = *host_id](const auth_core& c) {
    if (auto st = write_admin_identity(c, cfg.global.data_dir); !st)
      spdlog::error("rewriting the admin identity after a CA change: {}", st.message());
    std::shared_ptr<control_plane> plane;
    {
      std::lock_guard<std::mutex> lock(plane_slot->mu);
      plane = plane_slot->plane.lock();
    }
    if (!plane) return;
    auto creds = server_credentials(c, host_id, cfg);
    auto st = creds ? plane->reload(*creds, c.cas().tls_server_issuer.cert, other_tls_cas(c.cas()))
                    : tp::status(creds.err());
    if (!st) spdlog::error("the auth server keeps its TLS certificate: {}", st.message());
  });

  auto server = spawn_auth_server(sys, std::move(core));
  auto started = control_plane::start(sys, server, std::move(tls));
  if (!started) {
    caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
    return make_error("auth_service.listen_addr " + cfg.auth_service.listen_addr.to_string() +
                      ": " + started.message());
  }
  std::shared_ptr<control_plane> plane(std::move(*started));
  {
    std::lock_guard<std::mutex> lock(plane_slot->mu);
    plane_slot->plane = plane;
  }
  spdlog::info("auth service started: cluster \"{}\", storage {}, listening on {}:{}", *name,
               cfg.global.storage.type_name, cfg.auth_service.listen_addr.host, plane->port());
  return sys.spawn(auth_service, std::move(plane), server);
}

}  // namespace tp::actors::auth
