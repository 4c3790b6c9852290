#include "actors/auth/auth_core.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "actors/auth/authorizer.hpp"
#include "actors/auth/ca_export.hpp"
#include "actors/auth/ca_sign.hpp"
#include "actors/auth/trust_store.hpp"
#include "actors/auth/user_access.hpp"
#include "actors/identity/secrets.hpp"
#include "actors/metrics/registry.hpp"

#include <spdlog/spdlog.h>
#include "messages/version.hpp"
#include "transport/x509_ca.hpp"

namespace tp::actors::auth {

using namespace tp::messages;
using std::chrono::seconds;

namespace {

// How long host TLS identities live: ~5 years, never past the CA.
constexpr std::chrono::hours host_tls_validity{24 * 365 * 5};
constexpr seconds min_heartbeat_ttl{10};
constexpr seconds max_heartbeat_ttl{3600};

api_reply fail(api_errc code, std::string message) {
  return api_error{code, std::move(message)};
}

api_reply from_db(const persistence::db_status& st, const std::string& what) {
  using persistence::error_kind;
  switch (st.kind()) {
    case error_kind::none:
      return ok_reply{};
    case error_kind::not_found:
      return fail(api_errc::not_found, what + " not found");
    case error_kind::already_exists:
      return fail(api_errc::already_exists, what + " already exists; use -f to overwrite it");
    case error_kind::bad_parameter:
      return fail(api_errc::bad_parameter, st.message());
    default:
      return fail(api_errc::internal, st.message());
  }
}

std::string proxy_key(const std::string& name) {
  return "/proxies/" + name;
}

std::string describe_resource(resource_kind kind, const std::string& name) {
  return std::string(to_string(kind)) + " \"" + name + "\"";
}

resource as_resource(const token_record& rec) {
  provision_token t;
  t.meta.name = rec.token;
  for (const auto& r : rec.roles) {
    if (auto sr = parse_system_role(r)) t.spec.roles.push_back(*sr);
  }
  if (rec.expires) t.meta.expires = timestamp::from_time_point(*rec.expires);
  return t;
}

void count_certificate(const char* type) {
  metrics::global()
      .get_counter("teleport_certificates_issued_total", "SSH certificates signed, by type.",
                   {{"type", type}})
      .inc();
}

}  // namespace

struct auth_core::handlers {
  auth_core& core;
  const caller& who;
  sys_time now;

  api_reply operator()(join_request& r) { return core.join(r, false, now); }

  api_reply operator()(ping_request&) {
    const auto& cas = core.cas_;
    return ping_reply{cas.cluster_name,
                      core.options_.server_version,
                      cas.user.pub().fingerprint(),
                      cas.host.pub().fingerprint(),
                      ca_pin(cas),
                      core.options_.session_recording,
                      core.options_.proxy_checks_host_keys,
                      core.options_.client_idle_timeout_ms,
                      core.options_.disconnect_expired_cert};
  }

  api_reply operator()(ca_keys_request&) { return core.public_cas(); }
  api_reply operator()(rotation_status_request&) { return core.rotation_status(); }
  api_reply operator()(auth_servers_request&) { return core.auth_servers(); }

  api_reply operator()(proxy_keys_request&) {
    auto items = core.db_->get_range("/proxies");
    if (!items) return fail(api_errc::internal, "listing the proxies: " + items.message());
    events_reply out;
    for (const auto& it : *items) {
      auto j = nlohmann::json::parse(it.value, nullptr, /*allow_exceptions=*/false);
      const auto* spec = j.is_object() && j.contains("spec") ? &j["spec"] : nullptr;
      if (spec == nullptr || !spec->is_object() || !spec->contains("host_key")) continue;
      const auto& key = (*spec)["host_key"];
      if (key.is_string() && !key.get_ref<const std::string&>().empty()) {
        out.events.push_back(key.get<std::string>());
      }
    }
    return out;
  }
  api_reply operator()(rotate_ca_request& r) { return core.rotate(r, now); }
  api_reply operator()(renew_identity_request& r) { return core.renew(who, r, now); }

  api_reply operator()(sign_user_request& r) {
    auto u = core.resources_.get(resource_kind::user, r.user);
    if (!u) return from_db(persistence::error_as<void>(u), "user \"" + r.user + "\"");
    auto key = transport::public_key::from_authorized_key(r.public_key);
    if (!key) return fail(api_errc::bad_parameter, "public key: " + key.message());
    const auto& account = std::get<user>(*u);
    std::optional<seconds> ttl;
    if (r.ttl_seconds != 0) ttl = seconds{r.ttl_seconds};
    auto grant = grant_for(core.resources_, account, ttl);
    if (!grant) return fail(api_errc::access_denied, grant.message());
    auto cert = sign_user_certificate(core.cas_, *key, r.user, grant->logins, grant->ttl,
                                      grant->options, now);
    if (cert) count_certificate("user");
    if (!cert) return fail(api_errc::bad_parameter, cert.message());
    return certificate_reply{std::move(*cert)};
  }

  api_reply operator()(sign_host_request& r) {
    if (r.principals.empty()) return fail(api_errc::bad_parameter, "no host names to certify");
    auto key = transport::public_key::from_authorized_key(r.public_key);
    if (!key) return fail(api_errc::bad_parameter, "public key: " + key.message());
    host_cert_request hr;
    hr.extra_principals = r.principals;
    if (r.ttl_seconds < 0) return fail(api_errc::bad_parameter, "the TTL must be positive");
    if (r.ttl_seconds > 0) hr.ttl = seconds{r.ttl_seconds};
    auto cert = sign_host_certificate(core.cas_, *key, hr, now);
    if (cert) count_certificate("host");
    if (!cert) return fail(api_errc::bad_parameter, cert.message());
    return certificate_reply{std::move(*cert)};
  }

  api_reply operator()(upsert_resource_request& r) {
    const auto kind = kind_of(r.res);
    if (kind == resource_kind::cert_authority) {
      return fail(api_errc::bad_parameter,
                  "certificate authorities are created by the auth service and cannot be "
                  "written with tctl create");
    }
    if (kind == resource_kind::token) {
      return fail(api_errc::bad_parameter, "create join tokens with tctl nodes add");
    }
    if (auto* tc = std::get_if<trusted_cluster>(&r.res)) {
      // Enabled trust needs the exchange with the root, which the auth_server actor
      // runs before store_trust(); disabling only drops the root's CAs.
      if (tc->spec.enabled) {
        return fail(api_errc::internal,
                    "trust with another cluster is established by the "
                    "auth server (the CA exchange did not run)");
      }
      if (auto st = remove_remote_cas(*core.db_, core.cas_.cluster_name, tc->meta.name); !st) {
        return fail(api_errc::bad_parameter, st.message());
      }
    }
    return from_db(core.resources_.put(r.res, r.create_only),
                   describe_resource(kind, meta_of(r.res).name));
  }

  api_reply operator()(get_resources_request& r) {
    resources_reply out;
    if (r.kind == resource_kind::cert_authority) {
      // This cluster's CAs and those of trusted clusters.
      auto all = list_cas(*core.db_);
      if (!all) return fail(api_errc::internal, all.message());
      for (auto& ca : *all) {
        const std::string type(to_string(ca.spec.type));
        if (!r.name.empty() && r.name != ca.meta.name + "/" + type && r.name != type &&
            r.name != ca.meta.name) {
          continue;
        }
        out.items.emplace_back(std::move(ca));
      }
    } else if (r.kind == resource_kind::token) {
      auto tokens = core.tokens_.list(now);
      if (!tokens) return fail(api_errc::internal, tokens.message());
      for (const auto& info : *tokens) {
        if (info.roles == std::vector<std::string>{"signup"}) continue;
        if (!r.name.empty() && r.name != info.token) continue;
        token_record rec{info.token, false, info.roles, std::nullopt, {}, {}, {}};
        if (info.expires_unix != 0) rec.expires = sys_time{seconds{info.expires_unix}};
        out.items.push_back(as_resource(rec));
      }
    } else if (r.name.empty()) {
      auto all = core.resources_.list(r.kind);
      if (!all) return from_db(persistence::error_as<void>(all), "list");
      out.items = std::move(*all);
    } else {
      auto one = core.resources_.get(r.kind, r.name);
      if (!one) return from_db(persistence::error_as<void>(one), describe_resource(r.kind, r.name));
      out.items.push_back(std::move(*one));
    }
    if (!r.with_secrets) {
      for (auto& item : out.items) item = without_secrets(std::move(item));
    }
    return out;
  }

  api_reply operator()(delete_resource_request& r) {
    if (r.kind == resource_kind::cert_authority) {
      return fail(api_errc::bad_parameter, "certificate authorities cannot be deleted");
    }
    if (r.kind == resource_kind::token) {
      auto st = core.tokens_.remove(r.name);
      if (!st) return fail(api_errc::not_found, st.message());
      return ok_reply{};
    }
    if (r.kind == resource_kind::trusted_cluster) {
      // Removing trust removes the other cluster's CAs with it.
      auto st = core.resources_.remove(r.kind, r.name);
      if (!st) return from_db(st, describe_resource(r.kind, r.name));
      if (auto rm = remove_remote_cas(*core.db_, core.cas_.cluster_name, r.name); !rm) {
        return fail(api_errc::internal, rm.message());
      }
      return ok_reply{};
    }
    return from_db(core.resources_.remove(r.kind, r.name), describe_resource(r.kind, r.name));
  }

  api_reply operator()(create_signup_request& r) {
    if (auto st = validate_name(r.user); !st) {
      return fail(api_errc::bad_parameter, "user name: " + st.message());
    }
    if (core.resources_.get(resource_kind::user, r.user)) {
      return fail(api_errc::already_exists, "user \"" + r.user + "\" already exists");
    }
    if (r.logins.empty()) r.logins = {r.user};
    for (const auto& login : r.logins) {
      if (auto st = validate_name(login); !st) {
        return fail(api_errc::bad_parameter, "login \"" + login + "\": " + st.message());
      }
    }
    if (r.roles.empty()) r.roles = {"admin"};
    for (const auto& name : r.roles) {
      auto role_found = core.resources_.get(resource_kind::role, name);
      if (!role_found)
        return from_db(persistence::error_as<void>(role_found), "role \"" + name + "\"");
    }
    auto rec = core.tokens_.create_signup(r, new_totp_secret(), now);
    if (!rec) return fail(api_errc::internal, rec.message());
    return to_info(*rec);
  }

  api_reply operator()(create_token_request& r) {
    auto rec = core.tokens_.create_join(r, now);
    if (!rec) return fail(api_errc::bad_parameter, rec.message());
    return to_info(*rec);
  }

  api_reply operator()(list_tokens_request&) {
    auto tokens = core.tokens_.list(now);
    if (!tokens) return fail(api_errc::internal, tokens.message());
    return tokens_reply{std::move(*tokens)};
  }

  api_reply operator()(delete_token_request& r) {
    auto st = core.tokens_.remove(r.token);
    if (!st) return fail(api_errc::not_found, st.message());
    return ok_reply{};
  }

  api_reply operator()(signup_info_request& r) {
    const auto rec = core.tokens_.find_signup(r.token, now);
    if (!rec) return fail(api_errc::not_found, "the signup link is invalid or has expired");
    signup_info info;
    info.user = rec->user;
    info.otp_uri = totp_uri(rec->user, core.cas_.cluster_name, rec->otp_key);
    auto qr = qr_png_base64(info.otp_uri);
    if (!qr) return fail(api_errc::internal, qr.message());
    info.qr_png_base64 = std::move(*qr);
    info.expires_unix =
        std::chrono::duration_cast<seconds>(rec->expires->time_since_epoch()).count();
    return info;
  }

  api_reply operator()(complete_signup_request& r) {
    const auto found = core.tokens_.find_signup(r.token, now);
    if (!found) return fail(api_errc::not_found, "the signup link is invalid or has expired");
    const token_record& rec = *found;
    if (auto st = check_password_policy(r.password); !st) {
      return fail(api_errc::bad_parameter, st.message());
    }
    auto step = verify_totp(rec.otp_key, r.otp_code, now);
    if (!step) return fail(api_errc::access_denied, "the second factor code is not valid");
    auto hash = hash_password(r.password);
    if (!hash) return fail(api_errc::internal, hash.message());
    user u;
    u.meta.name = rec.user;
    u.spec.roles = rec.roles;
    u.spec.traits["logins"] = rec.logins;
    u.spec.auth.password_hash = std::move(*hash);
    u.spec.auth.totp_key = rec.otp_key;
    u.spec.created.time = timestamp::from_time_point(now);
    u.spec.created.user_name = "signup";
    if (auto st = core.resources_.put(u, /*create_only=*/true); !st) {
      return from_db(st, "user \"" + rec.user + "\"");
    }
    (void)core.tokens_.remove(r.token);  // single use
    // The enrolment code must not also log in.
    if (auto used = core.attempts_.use_otp_counter(rec.user, *step); !used) {
      spdlog::warn("signup of {}: {}", rec.user, used.message());
    }
    token_info info = to_info(rec);
    return info;
  }

  api_reply operator()(ssh_login_request& r) {
    // One answer for every bad credential: it must not reveal which part was wrong
    // or whether the user exists.
    static const std::string denied = "invalid user name, password or second factor";
    auto locked = core.attempts_.locked(r.user, now);
    if (!locked) {
      spdlog::error("login of {}: {}", r.user, locked.message());
      core.record_login(r, false, "login attempts unavailable", now);
      return fail(api_errc::internal, "the auth server cannot check login attempts now; try again");
    }
    if (*locked) {
      core.record_login(r, false, "locked after too many failed attempts", now);
      return fail(api_errc::access_denied, "too many failed attempts; try again later");
    }
    auto found = core.resources_.get(resource_kind::user, r.user);
    const user* account = found ? std::get_if<user>(&*found) : nullptr;
    // Verify a password even for unknown users, so timing does not tell them apart.
    static const std::string decoy = [] {
      auto h = hash_password("decoy-password");
      return h ? *h : std::string();
    }();
    const bool password_ok =
        verify_password(account != nullptr ? account->spec.auth.password_hash : decoy, r.password);
    std::optional<std::int64_t> step;
    if (account != nullptr && !account->spec.auth.totp_key.empty()) {
      step = verify_totp(account->spec.auth.totp_key, r.otp_code, now);
    }
    // Only a code that is right may consume its time step (a wrong password must not
    // burn the user's current code); a replayed one counts as a failure.
    bool fresh = false;
    if (account != nullptr && password_ok && step) {
      auto used = core.attempts_.use_otp_counter(r.user, *step);
      if (!used) spdlog::error("login of {}: {}", r.user, used.message());
      fresh = used && *used;
    }
    if (account == nullptr || !password_ok || !step || !fresh || account->spec.status.is_locked) {
      if (auto st = core.attempts_.failure(r.user, now); !st) {
        spdlog::error("login of {}: {}", r.user, st.message());
      }
      core.record_login(r, false, !password_ok ? "bad password" : "bad second factor", now);
      return fail(api_errc::access_denied, denied);
    }
    if (auto st = core.attempts_.success(r.user); !st) {
      spdlog::error("login of {}: {}", r.user, st.message());
    }
    auto key = transport::public_key::from_authorized_key(r.public_key);
    if (!key) return fail(api_errc::bad_parameter, "pub_key: " + key.message());
    std::optional<seconds> ttl;
    if (r.ttl_seconds > 0) ttl = seconds{r.ttl_seconds};
    // The credentials were right; the user's roles may still refuse a certificate.
    auto grant = grant_for(core.resources_, *account, ttl);
    if (!grant) {
      core.record_login(r, false, grant.message(), now);
      return fail(api_errc::access_denied, grant.message());
    }
    core.record_login(r, true, "", now);
    auto cert = sign_user_certificate(core.cas_, *key, r.user, grant->logins, grant->ttl,
                                      grant->options, now);
    if (cert) count_certificate("user");
    if (!cert) return fail(api_errc::bad_parameter, cert.message());
    return ssh_login_reply{r.user, std::move(*cert), core.cas_.cluster_name,
                           core.own_public_cas().host_ca_keys};
  }

  // The root's side of Trusted Clusters: a leaf with a trusted_cluster token gets its
  // host CA trusted (so its proxy may open a reverse tunnel) and receives our public CAs.
  api_reply operator()(validate_trusted_cluster_request& r) {
    if (auto st = check_trust_request(r, core.cas_.cluster_name); !st) {
      return fail(api_errc::bad_parameter, st.message());
    }
    if (auto st = core.tokens_.check_join(r.token, "trusted_cluster", now); !st) {
      return fail(api_errc::access_denied,
                  "the trusted cluster token is not valid: " + st.message());
    }
    if (auto st = store_remote_ca(*core.db_, core.cas_.cluster_name, r.cluster_name, ca_type::host,
                                  r.host_ca_keys);
        !st) {
      return fail(api_errc::internal, st.message());
    }
    spdlog::info("trusted cluster {} is now allowed to connect", r.cluster_name);
    // Our own CAs only (not those of clusters we trust), both generations in a rotation.
    return core.own_public_cas();
  }

  // The leaves: clusters whose host CA we hold that we do not dial ourselves.
  std::vector<std::string> leaf_clusters() {
    auto names = remote_cluster_names(*core.db_, core.cas_.cluster_name, ca_type::host);
    std::vector<std::string> out;
    for (auto& n : names) {
      if (!core.resources_.get(resource_kind::trusted_cluster, n)) out.push_back(std::move(n));
    }
    return out;
  }

  // A trusted cluster rotates its CAs: our proxy relays the set it announces through the
  // tunnel. Both CAs are checked before either is written.
  api_reply operator()(update_remote_cas_request& r) {
    if (r.user_ca_keys.empty() && r.host_ca_keys.empty()) {
      return fail(api_errc::bad_parameter, "no CA keys to update");
    }
    std::vector<std::pair<ca_type, remote_ca_update>> updates;
    for (const auto& [type, keys] :
         {std::pair{ca_type::user, &r.user_ca_keys}, std::pair{ca_type::host, &r.host_ca_keys}}) {
      if (keys->empty()) continue;
      auto u =
          prepare_remote_ca_rotation(*core.db_, core.cas_.cluster_name, r.cluster, type, *keys);
      if (!u) return fail(api_errc::bad_parameter, u.message());
      if (*u) updates.emplace_back(type, std::move(**u));
    }
    for (const auto& [type, u] : updates) {
      if (auto st = apply_remote_ca_update(*core.db_, u); !st) {
        return fail(api_errc::internal, st.message());
      }
      spdlog::info("trusted cluster {} rotates its {} CA: {} key(s) trusted now", r.cluster,
                   to_string(type), u.keys);
    }
    return ok_reply{};
  }

  api_reply operator()(report_tunnels_request& r) {
    if (auto st = core.remote_clusters_.report(who.name, r.tunnels, now); !st) {
      return fail(api_errc::bad_parameter, st.message());
    }
    return ok_reply{};
  }

  api_reply operator()(remote_clusters_request& r) {
    events_reply out;
    for (const auto& c : core.remote_clusters_.list(leaf_clusters(), now, r.name)) {
      out.events.push_back(c.dump());
    }
    if (!r.name.empty() && out.events.empty()) {
      return fail(api_errc::not_found, "remote cluster \"" + r.name + "\" not found");
    }
    return out;
  }

  api_reply operator()(delete_remote_cluster_request& r) {
    const auto leaves = leaf_clusters();
    if (std::find(leaves.begin(), leaves.end(), r.name) == leaves.end()) {
      return fail(api_errc::not_found, "remote cluster \"" + r.name + "\" not found");
    }
    if (auto st = remove_remote_cas(*core.db_, core.cas_.cluster_name, r.name); !st) {
      return fail(api_errc::internal, st.message());
    }
    spdlog::info("remote cluster {} removed: its tunnel is refused from now on", r.name);
    return ok_reply{};
  }

  // Served by handle() through the audit store, before dispatch.
  api_reply operator()(audit_event_request&) { return audit_elsewhere(); }
  api_reply operator()(session_chunk_request&) { return audit_elsewhere(); }
  api_reply operator()(audit_query_request&) { return audit_elsewhere(); }
  api_reply operator()(audit_verify_request&) { return audit_elsewhere(); }
  api_reply operator()(recording_request&) { return audit_elsewhere(); }
  api_reply operator()(list_sessions_request&) { return audit_elsewhere(); }
  static api_reply audit_elsewhere() {
    return fail(api_errc::internal, "audit requests are served by the audit log");
  }

  api_reply operator()(heartbeat_request& r) { return core.heartbeats({r}, now).front(); }
};

namespace {

// The record a heartbeat writes, or why it is refused.
std::variant<persistence::item, api_error> heartbeat_record(const heartbeat_request& r,
                                                            const std::string& server_version,
                                                            sys_time now) {
  const seconds ttl = std::clamp(seconds{r.ttl_seconds}, min_heartbeat_ttl, max_heartbeat_ttl);
  // The upgrade rule: auth first, then proxies and nodes, one minor version at a time.
  if (!r.server.spec.version.empty()) {
    if (auto why = version_incompatibility(r.role == "proxy" ? "this proxy" : "this node",
                                           r.server.spec.version, server_version);
        !why.empty()) {
      return api_error{api_errc::bad_parameter, why};
    }
  }
  if (auto st = validate_name(r.server.meta.name); !st) {
    return api_error{api_errc::bad_parameter, st.message()};
  }
  persistence::item it;
  // Proxies are not nodes: kept apart from `tctl nodes ls`.
  it.key = r.role == "proxy" ? proxy_key(r.server.meta.name)
                             : *resource_prefix(resource_kind::node) + "/" + r.server.meta.name;
  it.value = to_json(resource{r.server}).dump();
  it.expires = std::chrono::time_point_cast<std::chrono::milliseconds>(now + ttl);
  return it;
}

}  // namespace

std::vector<api_reply> auth_core::heartbeats(const std::vector<heartbeat_request>& beats,
                                             sys_time now) {
  std::vector<api_reply> replies(beats.size(), api_reply{ok_reply{}});
  std::vector<persistence::item> items;
  std::vector<std::size_t> written;  // index of each item's heartbeat
  for (std::size_t i = 0; i < beats.size(); ++i) {
    auto rec = heartbeat_record(beats[i], options_.server_version, now);
    if (auto* e = std::get_if<api_error>(&rec)) {
      replies[i] = std::move(*e);
      continue;
    }
    items.push_back(std::move(std::get<persistence::item>(rec)));
    written.push_back(i);
  }
  // etcd takes at most 128 writes in one transaction.
  constexpr std::size_t max_batch = 128;
  for (std::size_t from = 0; from < items.size(); from += max_batch) {
    const std::size_t to = std::min(items.size(), from + max_batch);
    std::vector<persistence::item> chunk(std::make_move_iterator(items.begin() + from),
                                         std::make_move_iterator(items.begin() + to));
    if (auto st = db_->put_batch(chunk); !st) {
      for (std::size_t k = from; k < to; ++k) {
        replies[written[k]] = api_error{api_errc::internal, "heartbeat: " + st.message()};
      }
    }
  }
  return replies;
}

auth_core::auth_core(std::shared_ptr<persistence::backend> db, cluster_cas cas,
                     auth_core_options options)
    : owner_lock_(options.owner_lock),
      db_(db),
      cas_(std::move(cas)),
      options_(std::move(options)),
      tokens_(db, options_.static_tokens),
      resources_(db),
      attempts_(db) {
  if (!options_.audit_dir.empty())
    audit_ = std::shared_ptr<audit_store>(new audit_store(options_.audit_dir, cas_.cluster_name),
                                          [lock = options_.owner_lock](audit_store* s) {
                                            delete s;  // then the lock goes
                                          });
}

tp::status auth_core::start(sys_time /*now*/) {
  if (auto st = ensure_admin_role(resources_); !st) return st;
  return tokens_.load();
}

void auth_core::record_login(const ssh_login_request& r, bool success, const std::string& error,
                             sys_time now) {
  if (!audit_) return;
  nlohmann::json e{{"event", "user.login"},
                   {"user", r.user},
                   {"method", "local"},
                   {"success", success},
                   {"addr.remote", r.remote_address},
                   {"time", format_rfc3339(timestamp::from_time_point(now))}};
  if (!error.empty()) e["error"] = error;
  if (audit_sink_) {
    audit_sink_(std::move(e));
    return;
  }
  audit_->stage_own(std::move(e), now);
  if (auto st = audit_->commit(); !st) spdlog::error("audit log: {}", st.message());
}

persistence::db_status auth_core::remove_proxy(const std::string& host_id) {
  if (!validate_name(host_id)) return {persistence::error_kind::bad_parameter, "bad host ID"};
  return db_->remove(proxy_key(host_id));
}

api_reply auth_core::handle(const caller& who, api_request request, sys_time now) {
  if (auto st = authorize(who, request); !st) return fail(api_errc::access_denied, st.message());
  if (audit_store::handles(request)) {
    if (!audit_) return fail(api_errc::internal, "this auth server keeps no audit log");
    if (!audit_store::writes(request)) return audit_->read(request, now);
    auto staged = audit_->stage(who, request, now);
    if (std::holds_alternative<api_error>(staged)) return staged;
    if (auto st = audit_->commit(); !st) return fail(api_errc::internal, st.message());
    return staged;
  }
  return std::visit(handlers{*this, who, now}, request);
}

ca_keys auth_core::own_public_cas() const {
  ca_keys out;
  out.cluster_name = cas_.cluster_name;
  for (const auto& k : cas_.user_trusted) out.user_ca_keys.push_back(k.authorized_key());
  for (const auto& k : cas_.host_trusted) out.host_ca_keys.push_back(k.authorized_key());
  for (const auto& c : cas_.tls_trusted) {
    if (auto pem = c.to_pem()) out.tls_ca_pem += *pem;
  }
  return out;
}

ca_keys auth_core::public_cas() const {
  ca_keys out = own_public_cas();
  // Users of the clusters we trust (Trusted Clusters) log in to our nodes too.
  for (auto& k : remote_ca_keys(*db_, cas_.cluster_name, ca_type::user)) {
    out.user_ca_keys.push_back(std::move(k));
  }
  return out;
}

tp::result<std::string> auth_core::issue_tls_cert_pem(const transport::x509_public_key& key,
                                                      const std::string& name,
                                                      const std::vector<std::string>& roles,
                                                      const std::vector<std::string>& hosts,
                                                      sys_time now) const {
  transport::leaf_request req;
  req.name = name;
  req.roles = roles;
  req.hosts = hosts;
  req.not_before = now - cert_backdate;
  req.not_after = std::min(now + host_tls_validity, cas_.tls.cert.not_after());
  auto cert = transport::issue_certificate(cas_.tls, key, req);
  if (!cert) return cert.err();
  return cert->to_pem();
}

api_reply auth_core::store_trust(const trusted_cluster& tc, const ca_keys& remote) {
  if (auto st = check_trust_reply(remote, tc.meta.name); !st) {
    return fail(api_errc::bad_parameter, st.message());
  }
  if (tc.meta.name == cas_.cluster_name) {
    return fail(api_errc::bad_parameter, "a cluster cannot trust itself");
  }
  if (auto st = store_remote_ca(*db_, cas_.cluster_name, tc.meta.name, ca_type::user,
                                remote.user_ca_keys);
      !st) {
    return fail(api_errc::internal, st.message());
  }
  if (auto st = store_remote_ca(*db_, cas_.cluster_name, tc.meta.name, ca_type::host,
                                remote.host_ca_keys);
      !st) {
    (void)remove_remote_cas(*db_, cas_.cluster_name, tc.meta.name);
    return fail(api_errc::internal, st.message());
  }
  if (auto st = resources_.put(tc, false); !st) {
    (void)remove_remote_cas(*db_, cas_.cluster_name, tc.meta.name);
    return from_db(st, describe_resource(resource_kind::trusted_cluster, tc.meta.name));
  }
  spdlog::info("this cluster now trusts cluster {}", tc.meta.name);
  return ok_reply{};
}

api_reply auth_core::join(const join_request& r, bool token_checked, sys_time now) {
  if (r.role != "node" && r.role != "proxy") {
    return fail(api_errc::bad_parameter, "a host joins as node or proxy, not \"" + r.role + "\"");
  }
  if (!token_checked) {
    if (auto st = tokens_.check_join(r.token, r.role, now); !st) {
      return fail(api_errc::access_denied, st.message());
    }
  }
  if (auto st = validate_name(r.host_id); !st) {
    return fail(api_errc::bad_parameter, "host ID: " + st.message());
  }
  auto ssh_key = transport::public_key::from_authorized_key(r.ssh_public_key);
  if (!ssh_key) return fail(api_errc::bad_parameter, "SSH public key: " + ssh_key.message());
  auto tls_key = transport::x509_public_key::from_pem(r.tls_public_key_pem);
  if (!tls_key) return fail(api_errc::bad_parameter, "TLS public key: " + tls_key.message());

  host_cert_request hr;
  hr.host_id = r.host_id;
  hr.nodename = r.nodename;
  hr.extra_principals = r.additional_principals;
  auto ssh_cert = sign_host_certificate(cas_, *ssh_key, hr, now);
  if (ssh_cert) count_certificate("host");
  if (!ssh_cert) return fail(api_errc::bad_parameter, ssh_cert.message());

  auto tls_cert = issue_tls_cert_pem(*tls_key, r.host_id, {r.role},
                                     tls_host_names(host_principals(hr, cas_.cluster_name)), now);
  if (!tls_cert) return fail(api_errc::bad_parameter, tls_cert.message());
  return join_reply{r.host_id, r.role, std::move(*ssh_cert), std::move(*tls_cert), public_cas()};
}

}  // namespace tp::actors::auth
