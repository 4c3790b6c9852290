// The auth service's request handling, free of actors and sockets: one call
// per request, already authorized or not. The auth_server actor owns one and
// feeds it the requests of every caller, in-process or remote.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <functional>

#include "actors/audit/audit_store.hpp"
#include "actors/auth/ca_store.hpp"
#include "actors/auth/credentials.hpp"
#include "actors/auth/login_attempts.hpp"
#include "actors/auth/remote_clusters.hpp"
#include "actors/auth/resource_store.hpp"
#include "actors/auth/token_registry.hpp"
#include "messages/auth_api.hpp"
#include "persistence/backend.hpp"

namespace tp::actors::auth {

struct auth_core_options {
  std::string server_version;
  std::vector<config::static_token> static_tokens;
  std::string audit_dir;                   // <data_dir>/log; empty: audit events are refused
  std::string session_recording = "node";  // announced to hosts in ping replies
  bool proxy_checks_host_keys = true;
  std::uint64_t client_idle_timeout_ms = 0;
  bool disconnect_expired_cert = false;
  bool insecure_trust = false;   // --insecure: trusted clusters' proxies may be self-signed
  std::string server_id{};       // this auth server's host ID (announce())
  std::string advertise_addr{};  // "host:port" other hosts reach it at; "": not announced
  // data_dir/auth.lock: released only once the core and its audit store are gone,
  // so a restarted process never writes the audit log beside this one.
  std::shared_ptr<void> owner_lock = nullptr;
};

class auth_core {
 public:
  auth_core(std::shared_ptr<persistence::backend> db, cluster_cas cas, auth_core_options options);

  // Checks that the stored tokens can be read; call once before handling requests.
  tp::status start(sys_time now = std::chrono::system_clock::now());

  // Authorizes `request` for `who`, then serves it. Never throws; every
  // failure is an api_error a user can act on.
  messages::api_reply handle(const messages::caller& who, messages::api_request request,
                             sys_time now = std::chrono::system_clock::now());

  const cluster_cas& cas() const { return cas_; }
  const auth_core_options& options() const { return options_; }
  token_registry& tokens() { return tokens_; }
  resource_store& resources() { return resources_; }

  // Public halves of the CAs, as nodes and tctl receive them: every trusted key
  // (the signers' first), and the user CAs of trusted clusters.
  messages::ca_keys public_cas() const;
  // This cluster's own public CAs only (what a trust exchange sends).
  messages::ca_keys own_public_cas() const;

  // Rotation state of both CAs, with public_cas().
  messages::rotation_reply rotation_status() const;

  // Periodic work (about every second): moves automatic rotations on when their
  // schedule says so, and picks up CA changes another auth server stored.
  void tick(sys_time now = std::chrono::system_clock::now());

  // HA: every auth server of the cluster records its address in the shared backend
  // (/authservers/<id>, expiring unless renewed), so hosts learn where to fail over to.
  void announce(sys_time now = std::chrono::system_clock::now());
  messages::events_reply auth_servers() const;

  // Called (on the auth server's thread) whenever the CAs in use changed: a rotation
  // step here or on another auth server sharing the backend.
  void set_on_cas_changed(std::function<void(const auth_core&)> f) {
    on_cas_changed_ = std::move(f);
  }

  // A TLS leaf for `key` signed by the cluster's TLS CA: CN = name, O = roles.
  tp::result<std::string> issue_tls_cert_pem(const transport::x509_public_key& key,
                                             const std::string& name,
                                             const std::vector<std::string>& roles,
                                             const std::vector<std::string>& hosts,
                                             sys_time now) const;

  // A web login attempt for the audit log (`user.login`, success or not).
  void record_login(const messages::ssh_login_request& r, bool success, const std::string& error,
                    sys_time now);

  // The audit log (null without audit_dir). The auth_server actor hands it to
  // the audit_log actor and routes audit requests there; until then (tests)
  // handle() writes it directly.
  std::shared_ptr<audit_store> audit() const { return audit_; }
  // Where auth's own events (user.login) go once the audit_log actor owns the log.
  void set_audit_sink(std::function<void(nlohmann::json)> sink) { audit_sink_ = std::move(sink); }

  // Heartbeats in bulk (auth_server batches those waiting in its mailbox): each one
  // checked like handle() does (the caller, authorized already; version; name),
  // then all written in one backend transaction, one fsync for the lot. Returns a
  // reply per heartbeat, in order.
  std::vector<messages::api_reply> heartbeats(const std::vector<messages::heartbeat_request>& beats,
                                              sys_time now = std::chrono::system_clock::now());

  // Forgets a proxy's heartbeat record.
  persistence::db_status remove_proxy(const std::string& host_id);

  // A leaf's side of Trusted Clusters, after its auth server exchanged CAs with the
  // root (`remote`): stores the root's CAs and the resource, or nothing on error.
  messages::api_reply store_trust(const messages::trusted_cluster& tc,
                                  const messages::ca_keys& remote);

  // The join path, also used in-process for roles sharing auth's process.
  messages::api_reply join(const messages::join_request& r, bool token_checked, sys_time now);

 private:
  struct handlers;

  // Re-reads the CAs when their stored records changed; true if they did.
  bool reload_cas();
  messages::api_reply rotate(const messages::rotate_ca_request& r, sys_time now);
  messages::api_reply renew(const messages::caller& who, const messages::renew_identity_request& r,
                            sys_time now);

  // Declared first, so released last: after the backend is closed (data_dir/auth.lock).
  std::shared_ptr<void> owner_lock_;
  std::shared_ptr<persistence::backend> db_;
  cluster_cas cas_;
  auth_core_options options_;
  token_registry tokens_;
  resource_store resources_;
  std::shared_ptr<audit_store> audit_;
  std::function<void(nlohmann::json)> audit_sink_;
  std::function<void(const auth_core&)> on_cas_changed_;
  login_attempts attempts_;
  remote_clusters remote_clusters_;
  sys_time next_announce_{};
};

}  // namespace tp::actors::auth
