// CAF 0.17 glue for the message types: the type-ID block and inspect() overloads. This is the
// only header in messages/ that includes CAF (each TU that does costs seconds to compile):
// include it only where types cross actor boundaries. Add new message types to the block
// below (one block for the whole project; IDs are positional, so append at the end).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/type_id.hpp>
#include <nlohmann/json.hpp>

#include "messages/auth_api.hpp"
#include "messages/resource.hpp"

namespace tp::messages {

// ---- shared parts ---------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, timestamp& x) {
  return f(caf::meta::type_name("timestamp"), x.unix_seconds, x.nanos);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metadata& x) {
  return f(caf::meta::type_name("metadata"), x.name, x.namespace_name, x.description, x.labels,
           x.expires);
}

// ---- user -----------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_status& x) {
  return f(caf::meta::type_name("user_status"), x.is_locked, x.locked_message, x.locked_time,
           x.lock_expires);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, created_by& x) {
  return f(caf::meta::type_name("created_by"), x.time, x.user_name, x.connector_type,
           x.connector_id, x.connector_identity);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, external_identity& x) {
  return f(caf::meta::type_name("external_identity"), x.connector_id, x.username);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, u2f_registration& x) {
  return f(caf::meta::type_name("u2f_registration"), x.raw, x.key_handle, x.pubkey);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, local_auth& x) {
  return f(caf::meta::type_name("local_auth"), x.password_hash, x.totp_key, x.u2f, x.u2f_counter);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_spec& x) {
  return f(caf::meta::type_name("user_spec"), x.roles, x.traits, x.status, x.expires, x.created,
           x.oidc_identities, x.saml_identities, x.github_identities, x.auth);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user& x) {
  return f(caf::meta::type_name("user"), x.version, x.meta, x.spec);
}

// ---- role -----------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, role_options& x) {
  return f(caf::meta::type_name("role_options"), x.max_session_ttl, x.forward_agent,
           x.port_forwarding, x.cert_format, x.client_idle_timeout, x.disconnect_expired_cert);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, role_rule& x) {
  return f(caf::meta::type_name("role_rule"), x.resources, x.verbs, x.where, x.actions);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, role_conditions& x) {
  return f(caf::meta::type_name("role_conditions"), x.logins, x.namespaces, x.node_labels, x.rules,
           x.kubernetes_groups);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, role_spec& x) {
  return f(caf::meta::type_name("role_spec"), x.options, x.allow, x.deny);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, role& x) {
  return f(caf::meta::type_name("role"), x.version, x.meta, x.spec);
}

// ---- node -----------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, command_label& x) {
  return f(caf::meta::type_name("command_label"), x.period, x.command, x.result);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_spec& x) {
  return f(caf::meta::type_name("node_spec"), x.addr, x.public_addr, x.hostname, x.cmd_labels,
           x.host_key, x.version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node& x) {
  return f(caf::meta::type_name("node"), x.version, x.meta, x.spec);
}

// ---- cert_authority -------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tls_key_pair& x) {
  return f(caf::meta::type_name("tls_key_pair"), x.cert, x.key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, role_mapping& x) {
  return f(caf::meta::type_name("role_mapping"), x.remote, x.local);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rotation_schedule& x) {
  return f(caf::meta::type_name("rotation_schedule"), x.update_clients, x.update_servers,
           x.standby);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rotation& x) {
  return f(caf::meta::type_name("rotation"), x.state, x.phase, x.mode, x.current_id, x.started,
           x.grace_period, x.last_rotated, x.schedule);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cert_authority_spec& x) {
  return f(caf::meta::type_name("cert_authority_spec"), x.type, x.cluster_name, x.checking_keys,
           x.signing_keys, x.tls_key_pairs, x.roles, x.role_map, x.signing_alg, x.rotation_state);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cert_authority& x) {
  return f(caf::meta::type_name("cert_authority"), x.version, x.meta, x.spec);
}

// ---- token, trusted_cluster, github ---------------------------------------------------------

// Roles travel as bytes: CAF's vector-of-enum path trips g++ 12's -Wmaybe-uninitialized.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, provision_token_spec& x) {
  std::vector<std::uint8_t> roles;
  if constexpr (Inspector::reads_state) {
    for (auto r : x.roles) roles.push_back(static_cast<std::uint8_t>(r));
    return f(caf::meta::type_name("provision_token_spec"), roles);
  } else {
    if (auto err = f(caf::meta::type_name("provision_token_spec"), roles)) return err;
    std::vector<system_role> out;
    for (auto r : roles) {
      if (r > static_cast<std::uint8_t>(system_role::trusted_cluster)) {
        return caf::make_error(caf::sec::invalid_argument, "unknown system role");
      }
      out.push_back(static_cast<system_role>(r));
    }
    x.roles = std::move(out);
    return caf::none;
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, provision_token& x) {
  return f(caf::meta::type_name("provision_token"), x.version, x.meta, x.spec);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trusted_cluster_spec& x) {
  return f(caf::meta::type_name("trusted_cluster_spec"), x.enabled, x.roles, x.role_map, x.token,
           x.tunnel_addr, x.web_proxy_addr);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trusted_cluster& x) {
  return f(caf::meta::type_name("trusted_cluster"), x.version, x.meta, x.spec);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, team_mapping& x) {
  return f(caf::meta::type_name("team_mapping"), x.organization, x.team, x.logins,
           x.kubernetes_groups);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, github_connector_spec& x) {
  return f(caf::meta::type_name("github_connector_spec"), x.client_id, x.client_secret, x.display,
           x.redirect_url, x.teams_to_logins);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, github_connector& x) {
  return f(caf::meta::type_name("github_connector"), x.version, x.meta, x.spec);
}

// ---- saml, oidc: the spec travels as JSON text ----------------------------------------------

namespace detail {

template <class Inspector, class Connector>
typename Inspector::result_type inspect_sso(Inspector& f, const char* name, Connector& x) {
  if constexpr (Inspector::reads_state) {
    // replace: a stray invalid UTF-8 byte must not throw inside an actor.
    std::string spec = x.spec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return f(caf::meta::type_name(name), x.version, x.meta, spec);
  } else {
    std::string spec;
    if (auto err = f(caf::meta::type_name(name), x.version, x.meta, spec)) return err;
    auto parsed = nlohmann::json::parse(spec, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return caf::make_error(caf::sec::invalid_argument, "connector spec is not a JSON object");
    }
    x.spec = std::move(parsed);
    return caf::none;
  }
}

template <class Variant, std::size_t I = 0>
void emplace_alternative(Variant& x, std::size_t index) {
  if constexpr (I < std::variant_size_v<Variant>) {
    if (index == I) {
      x.template emplace<I>();
    } else {
      emplace_alternative<Variant, I + 1>(x, index);
    }
  }
}

// A std::variant as its alternative index (one byte), then the alternative.
template <class Inspector, class Variant>
typename Inspector::result_type inspect_variant(Inspector& f, const char* name, Variant& x) {
  static_assert(std::variant_size_v<Variant> < 256);
  if constexpr (Inspector::reads_state) {
    auto index = static_cast<std::uint8_t>(x.index());
    return std::visit([&](auto& alt) { return f(caf::meta::type_name(name), index, alt); }, x);
  } else {
    std::uint8_t index = 0;
    if (auto err = f(index)) return err;
    if (index >= std::variant_size_v<Variant>) {
      return caf::make_error(caf::sec::invalid_argument,
                             std::string("unknown ") + name + " alternative");
    }
    emplace_alternative(x, index);
    return std::visit([&](auto& alt) -> typename Inspector::result_type { return f(alt); }, x);
  }
}

// A struct whose first field is an enum, sent as one byte; decoding refuses
// values above `max`. (Stringification inspectors return void, so the enum
// cannot be inspected in a call of its own.)
template <class Inspector, class Enum, class... Ts>
typename Inspector::result_type inspect_with_enum(Inspector& f, const char* name, Enum& e, Enum max,
                                                  Ts&... xs) {
  if constexpr (Inspector::reads_state) {
    auto v = static_cast<std::uint8_t>(e);
    return f(caf::meta::type_name(name), v, xs...);
  } else {
    std::uint8_t v = 0;
    if (auto err = f(v, xs...)) return err;
    if (v > static_cast<std::uint8_t>(max)) {
      return caf::make_error(caf::sec::invalid_argument,
                             std::string(name) + ": value out of range");
    }
    e = static_cast<Enum>(v);
    return {};
  }
}

}  // namespace detail

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saml_connector& x) {
  return detail::inspect_sso(f, "saml_connector", x);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, oidc_connector& x) {
  return detail::inspect_sso(f, "oidc_connector", x);
}

// ---- resource (the variant): alternative index, then the alternative ------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resource& x) {
  return detail::inspect_variant(f, "resource", x);
}

// ---- auth API (auth_api.hpp) ----------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caller& x) {
  return f(caf::meta::type_name("caller"), x.name, x.roles, x.remote_address);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(caf::meta::type_name("join_request"), x.token, x.role, x.host_id, x.nodename,
           x.additional_principals, x.ssh_public_key, x.tls_public_key_pem);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping_request&) {
  return f(caf::meta::type_name("ping_request"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ca_keys_request&) {
  return f(caf::meta::type_name("ca_keys_request"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sign_user_request& x) {
  return f(caf::meta::type_name("sign_user_request"), x.user, x.public_key, x.ttl_seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sign_host_request& x) {
  return f(caf::meta::type_name("sign_host_request"), x.principals, x.public_key, x.ttl_seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upsert_resource_request& x) {
  return f(caf::meta::type_name("upsert_resource_request"), x.res, x.create_only);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_resources_request& x) {
  return detail::inspect_with_enum(f, "get_resources_request", x.kind, resource_kind::oidc, x.name,
                                   x.with_secrets);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_resource_request& x) {
  return detail::inspect_with_enum(f, "delete_resource_request", x.kind, resource_kind::oidc,
                                   x.name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_signup_request& x) {
  return f(caf::meta::type_name("create_signup_request"), x.user, x.logins, x.roles);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_token_request& x) {
  return f(caf::meta::type_name("create_token_request"), x.token, x.roles, x.ttl_seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_tokens_request&) {
  return f(caf::meta::type_name("list_tokens_request"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_token_request& x) {
  return f(caf::meta::type_name("delete_token_request"), x.token);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, heartbeat_request& x) {
  return f(caf::meta::type_name("heartbeat_request"), x.server, x.role, x.ttl_seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_event_request& x) {
  return f(caf::meta::type_name("audit_event_request"), x.events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, signup_info_request& x) {
  return f(caf::meta::type_name("signup_info_request"), x.token);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, complete_signup_request& x) {
  return f(caf::meta::type_name("complete_signup_request"), x.token, x.password, x.otp_code);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ssh_login_request& x) {
  return f(caf::meta::type_name("ssh_login_request"), x.user, x.password, x.otp_code, x.public_key,
           x.ttl_seconds, x.remote_address);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, signup_info& x) {
  return f(caf::meta::type_name("signup_info"), x.user, x.otp_uri, x.qr_png_base64, x.expires_unix);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ssh_login_reply& x) {
  return f(caf::meta::type_name("ssh_login_reply"), x.user, x.ssh_certificate, x.cluster_name,
           x.host_ca_keys);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_query_request& x) {
  return f(caf::meta::type_name("audit_query_request"), x.since_unix, x.until_unix, x.event_type,
           x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_verify_request&) {
  return f(caf::meta::type_name("audit_verify_request"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, events_reply& x) {
  return f(caf::meta::type_name("events_reply"), x.events, x.truncated);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_file_check& x) {
  return f(caf::meta::type_name("audit_file_check"), x.file, x.lines, x.bad_line, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_verify_reply& x) {
  return f(caf::meta::type_name("audit_verify_reply"), x.files);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_chunk_request& x) {
  return f(caf::meta::type_name("session_chunk_request"), x.sid, x.offset, x.data, x.events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recording_request& x) {
  return f(caf::meta::type_name("recording_request"), x.sid, x.part, x.offset);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_sessions_request&) {
  return f(caf::meta::type_name("list_sessions_request"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, validate_trusted_cluster_request& x) {
  return f(caf::meta::type_name("validate_trusted_cluster_request"), x.token, x.cluster_name,
           x.host_ca_keys, x.user_ca_keys, x.root_cluster_name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, report_tunnels_request& x) {
  return f(caf::meta::type_name("report_tunnels_request"), x.tunnels);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remote_clusters_request& x) {
  return f(caf::meta::type_name("remote_clusters_request"), x.name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_remote_cluster_request& x) {
  return f(caf::meta::type_name("delete_remote_cluster_request"), x.name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recording_reply& x) {
  return f(caf::meta::type_name("recording_reply"), x.data, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_request& x) {
  return detail::inspect_variant(f, "api_request", x);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_error& x) {
  return detail::inspect_with_enum(f, "api_error", x.code, api_errc::internal, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rotate_ca_request& x) {
  return f(caf::meta::type_name("rotate_ca_request"), x.type, x.mode, x.phase,
           x.grace_period_seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rotation_status_request&) {
  return f(caf::meta::type_name("rotation_status_request"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, renew_identity_request& x) {
  return f(caf::meta::type_name("renew_identity_request"), x.ssh_certificate, x.tls_public_key_pem);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, auth_servers_request&) {
  return f(caf::meta::type_name("auth_servers_request"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, proxy_keys_request&) {
  return f(caf::meta::type_name("proxy_keys_request"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, update_remote_cas_request& x) {
  return f(caf::meta::type_name("update_remote_cas_request"), x.cluster, x.user_ca_keys,
           x.host_ca_keys);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ok_reply&) {
  return f(caf::meta::type_name("ok_reply"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ca_keys& x) {
  return f(caf::meta::type_name("ca_keys"), x.cluster_name, x.user_ca_keys, x.host_ca_keys,
           x.tls_ca_pem);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping_reply& x) {
  return f(caf::meta::type_name("ping_reply"), x.cluster_name, x.server_version,
           x.user_ca_fingerprint, x.host_ca_fingerprint, x.ca_pin, x.session_recording,
           x.proxy_checks_host_keys, x.client_idle_timeout_ms, x.disconnect_expired_cert);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_reply& x) {
  return f(caf::meta::type_name("join_reply"), x.host_id, x.role, x.ssh_certificate, x.tls_cert_pem,
           x.cas);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ca_rotation_info& x) {
  return f(caf::meta::type_name("ca_rotation_info"), x.type, x.state, x.phase, x.mode, x.current_id,
           x.started_unix, x.next_step_unix, x.grace_period_seconds, x.last_rotated_unix,
           x.fingerprints);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rotation_reply& x) {
  return f(caf::meta::type_name("rotation_reply"), x.cas, x.keys);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, certificate_reply& x) {
  return f(caf::meta::type_name("certificate_reply"), x.ssh_certificate);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resources_reply& x) {
  return f(caf::meta::type_name("resources_reply"), x.items);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_info& x) {
  return f(caf::meta::type_name("token_info"), x.token, x.roles, x.expires_unix, x.user);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tokens_reply& x) {
  return f(caf::meta::type_name("tokens_reply"), x.items);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_reply& x) {
  return detail::inspect_variant(f, "api_reply", x);
}

}  // namespace tp::messages

CAF_BEGIN_TYPE_ID_BLOCK(tp_messages, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(tp_messages, (tp::messages::user))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::role))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::node))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::cert_authority))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::provision_token))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::trusted_cluster))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::github_connector))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::saml_connector))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::oidc_connector))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::resource))
CAF_ADD_TYPE_ID(tp_messages, (std::vector<tp::messages::resource>))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::caller))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::api_request))
CAF_ADD_TYPE_ID(tp_messages, (tp::messages::api_reply))

CAF_END_TYPE_ID_BLOCK(tp_messages)

namespace tp::messages {

// CAF 0.17 still needs runtime registration: call on every actor_system_config (both ends of
// a BASP link must register the same types).
inline void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::tp_messages>();
}

}  // namespace tp::messages
