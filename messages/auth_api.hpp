// The auth service's API: one struct per request and per reply. The same types
// travel in-process (CAF messages to the auth_server actor) and over the control
// plane (CAF binary serialization inside frames, see api_codec.hpp), and the
// auth server authorizes each request by the caller's role.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "messages/resource.hpp"

namespace tp::messages {

// Who sent a request, stamped by the connection that received it from the
// verified client certificate (never from the request itself). No roles means
// an unauthenticated (joining) client.
struct caller {
  std::string name;                // certificate CN: host ID, or "admin" for tctl
  std::vector<std::string> roles;  // certificate O values: admin, node, proxy, auth
  std::string remote_address;      // for the audit trail and logs

  bool has_role(std::string_view role) const;
  bool operator==(const caller&) const = default;
};

enum class api_errc : std::uint8_t {
  access_denied = 1,
  not_found,
  already_exists,
  bad_parameter,
  internal,
};
std::string_view to_string(api_errc code);

// ---- requests ---------------------------------------------------------------------------

// The only request an unauthenticated client may send: a join token and the
// public keys it wants certified.
struct join_request {
  std::string token;
  std::string role;                                // "node" or "proxy"
  std::string host_id;                             // the joining host's UUID
  std::string nodename;                            // its host name
  std::vector<std::string> additional_principals;  // advertise IP, public_addr hosts
  std::string ssh_public_key;                      // authorized_keys line
  std::string tls_public_key_pem;                  // SubjectPublicKeyInfo PEM
  bool operator==(const join_request&) const = default;
};

struct ping_request {
  bool operator==(const ping_request&) const = default;
};

// CA public keys (nodes refresh them; tctl auth export prints them).
struct ca_keys_request {
  bool operator==(const ca_keys_request&) const = default;
};

struct sign_user_request {
  std::string user;
  std::string public_key;       // authorized_keys line
  std::int64_t ttl_seconds{0};  // 0: the default (23h); clamped to [1m, 30h]
  bool operator==(const sign_user_request&) const = default;
};

struct sign_host_request {
  std::vector<std::string> principals;  // at least one
  std::string public_key;
  std::int64_t ttl_seconds{0};  // 0: never expires
  bool operator==(const sign_host_request&) const = default;
};

struct upsert_resource_request {
  resource res;
  bool create_only = false;  // `tctl create` without -f refuses to overwrite
  bool operator==(const upsert_resource_request&) const = default;
};

struct get_resources_request {
  resource_kind kind = resource_kind::user;
  std::string name;  // empty: all of the kind
  bool with_secrets = false;
  bool operator==(const get_resources_request&) const = default;
};

struct delete_resource_request {
  resource_kind kind = resource_kind::user;
  std::string name;
  bool operator==(const delete_resource_request&) const = default;
};

// `tctl users add`: a signup token for a user that does not exist yet.
struct create_signup_request {
  std::string user;
  std::vector<std::string> logins;
  std::vector<std::string> roles;
  bool operator==(const create_signup_request&) const = default;
};

// `tctl nodes add`: a dynamic join token.
struct create_token_request {
  std::string token;               // empty: generated
  std::vector<std::string> roles;  // node, proxy, auth, trusted_cluster
  std::int64_t ttl_seconds{0};     // > 0
  bool operator==(const create_token_request&) const = default;
};

struct list_tokens_request {
  bool operator==(const list_tokens_request&) const = default;
};

struct delete_token_request {
  std::string token;
  bool operator==(const delete_token_request&) const = default;
};

// A node or proxy announcing itself; the record expires after ttl_seconds.
struct heartbeat_request {
  node server;
  std::string role;  // "node" or "proxy"
  std::int64_t ttl_seconds{600};
  bool operator==(const heartbeat_request&) const = default;
};

// Audit events a node or proxy observed (session.start, exec, auth ...), each
// a JSON object in Teleport's event format. The server stamps server_id.
struct audit_event_request {
  std::vector<std::string> events;
  bool operator==(const audit_event_request&) const = default;
};

// The proxy's web signup (`/web/newuser/<token>`): what the invited user sees.
struct signup_info_request {
  std::string token;
  bool operator==(const signup_info_request&) const = default;
};

// The invited user chose a password and enrolled the TOTP secret.
struct complete_signup_request {
  std::string token;
  std::string password;
  std::string otp_code;
  bool operator==(const complete_signup_request&) const = default;
};

// A user's login through the proxy (`POST /v1/webapi/ssh/certs`).
struct ssh_login_request {
  std::string user;
  std::string password;
  std::string otp_code;
  std::string public_key;       // authorized_keys line to certify
  std::int64_t ttl_seconds{0};  // 0: the default
  std::string remote_address;   // the web client's address, for the audit log
  bool operator==(const ssh_login_request&) const = default;
};

// Reading the audit log (`tctl get events`): events with since <= time < until.
struct audit_query_request {
  std::int64_t since_unix{0};
  std::int64_t until_unix{0};  // 0: now
  std::string event_type;      // empty: all
  std::int64_t limit{1000};
  bool operator==(const audit_query_request&) const = default;
};

// `tctl audit verify`: check every day file's hash chain.
struct audit_verify_request {
  bool operator==(const audit_verify_request&) const = default;
};

// A piece of a session recording, sent by the host that records the session
// (the node, or the proxy in recording proxy mode). `data` is terminal output
// that belongs at byte `offset` of the session's .session.bytes file; `events`
// are JSON lines for its .session.log (print events with offset, length and
// milliseconds since the start, and the session's own events). A chunk sent
// again after a lost acknowledgement (same offset) is not stored twice.
struct session_chunk_request {
  std::string sid;
  std::uint64_t offset{0};
  std::string data;
  std::vector<std::string> events;
  bool operator==(const session_chunk_request&) const = default;
};

// Reading a stored recording (`tsh play`): `part` "log" or "bytes", from
// `offset`; each reply carries at most max_recording_read bytes.
struct recording_request {
  std::string sid;
  std::string part;
  std::uint64_t offset{0};
  bool operator==(const recording_request&) const = default;
};
inline constexpr std::size_t max_recording_read = 4u << 20;

// Sessions in progress (`tsh sessions ls`, `tsh join`): their session.start
// events, with the parties that joined since.
struct list_sessions_request {
  bool operator==(const list_sessions_request&) const = default;
};

// A trusting (leaf) cluster asks this (root) cluster to trust its host CA, with a
// trusted_cluster token; relayed by the root's proxy from
// POST /webapi/trustedclusters/validate. The reply is the root's public CAs.
struct validate_trusted_cluster_request {
  std::string token;
  std::string cluster_name;               // the leaf's
  std::vector<std::string> host_ca_keys;  // authorized_keys lines
  std::vector<std::string> user_ca_keys;
  std::string root_cluster_name;  // the name the leaf expects of us ("" = not checked)
  bool operator==(const validate_trusted_cluster_request&) const = default;
};

// A root proxy's reverse tunnels, reported on every refresh: JSON objects
// {"cluster", "status": "online"|"offline", "last_heartbeat": unix s, "remote"}.
struct report_tunnels_request {
  std::vector<std::string> tunnels;
  bool operator==(const report_tunnels_request&) const = default;
};

// `tctl get remote_clusters`: the leaf clusters this cluster trusts with their tunnels'
// state as the proxies last reported it; the reply's lines are JSON objects.
struct remote_clusters_request {
  std::string name;  // "" = all
  bool operator==(const remote_clusters_request&) const = default;
};

// `tctl rm remote_cluster/<name>`: forget a leaf cluster (its host CA); its tunnel is
// refused from then on.
struct delete_remote_cluster_request {
  std::string name;
  bool operator==(const delete_remote_cluster_request&) const = default;
};

// `tctl auth rotate`: starts or moves on a rotation of the cluster's CAs (ca_rotation.hpp).
struct rotate_ca_request {
  std::string type;                       // "user", "host"; "" = both
  std::string mode;                       // "auto" or "manual"
  std::string phase;                      // manual: the phase to move to
  std::int64_t grace_period_seconds{-1};  // -1: the default (30 h)
  bool operator==(const rotate_ca_request&) const = default;
};

// The CAs' rotation state and public keys: `tctl status`, and every heartbeat of a host
// (which renews its certificates when another CA signs).
struct rotation_status_request {
  bool operator==(const rotation_status_request&) const = default;
};

// A host's certificates re-issued by the CA that signs now, for the same keys and names.
// The current SSH host certificate proves which names the host was given when it joined.
struct renew_identity_request {
  std::string ssh_certificate;     // the host's current certificate line
  std::string tls_public_key_pem;  // the key of its TLS certificate
  bool operator==(const renew_identity_request&) const = default;
};

// A trusted cluster's CAs as they rotate, relayed by our proxy from the reverse tunnel:
// the leaf's host CA (its heartbeats, at the root) or the root's user and host CAs (the
// root's answers, at the leaf). Only CAs already stored for `cluster` are replaced, and
// only by a set sharing a key with the stored one (empty: that CA is not touched).
struct update_remote_cas_request {
  std::string cluster;
  std::vector<std::string> user_ca_keys;  // authorized_keys lines
  std::vector<std::string> host_ca_keys;
  bool operator==(const update_remote_cas_request&) const = default;
};

// The cluster's auth servers as they announce themselves in the shared backend
// ("host:port" each, in the reply's lines): hosts keep them in data_dir/authservers.json
// to fail over to. Served from 0.2.0 on.
struct auth_servers_request {
  bool operator==(const auth_servers_request&) const = default;
};

// The SSH host keys of the cluster's proxies (authorized_keys lines, in the reply's
// lines), from their heartbeats: a proxy hands them to `tsh login`, so that tsh trusts
// every proxy behind a load balancer's one address. Served from 0.3.0 on.
struct proxy_keys_request {
  bool operator==(const proxy_keys_request&) const = default;
};

// Alternatives are positional on the wire: append only.
using api_request =
    std::variant<join_request, ping_request, ca_keys_request, sign_user_request, sign_host_request,
                 upsert_resource_request, get_resources_request, delete_resource_request,
                 create_signup_request, create_token_request, list_tokens_request,
                 delete_token_request, heartbeat_request, audit_event_request, signup_info_request,
                 complete_signup_request, ssh_login_request, audit_query_request,
                 audit_verify_request, session_chunk_request, recording_request,
                 list_sessions_request, validate_trusted_cluster_request, report_tunnels_request,
                 remote_clusters_request, delete_remote_cluster_request, rotate_ca_request,
                 rotation_status_request, renew_identity_request, update_remote_cas_request,
                 auth_servers_request, proxy_keys_request>;

// ---- replies ----------------------------------------------------------------------------

struct api_error {
  api_errc code = api_errc::internal;
  std::string message;
  bool operator==(const api_error&) const = default;
};

struct ok_reply {
  bool operator==(const ok_reply&) const = default;
};

struct ca_keys {
  std::string cluster_name;
  std::vector<std::string> user_ca_keys;  // authorized_keys lines
  std::vector<std::string> host_ca_keys;
  std::string tls_ca_pem;
  bool operator==(const ca_keys&) const = default;
};

struct ping_reply {
  std::string cluster_name;
  std::string server_version;
  std::string user_ca_fingerprint;
  std::string host_ca_fingerprint;
  std::string ca_pin;
  std::string session_recording;  // "node", "proxy" or "off": where sessions are recorded
  bool proxy_checks_host_keys = true;
  std::uint64_t client_idle_timeout_ms = 0;  // 0: never
  bool disconnect_expired_cert = false;
  bool operator==(const ping_reply&) const = default;
};

// What a joining host receives and keeps in its data_dir.
struct join_reply {
  std::string host_id;
  std::string role;
  std::string ssh_certificate;  // certificate line for the submitted SSH key
  std::string tls_cert_pem;     // leaf for the submitted TLS key
  ca_keys cas;
  bool operator==(const join_reply&) const = default;
};

struct certificate_reply {
  std::string ssh_certificate;
  bool operator==(const certificate_reply&) const = default;
};

struct resources_reply {
  std::vector<resource> items;
  bool operator==(const resources_reply&) const = default;
};

struct token_info {
  std::string token;
  std::vector<std::string> roles;  // for signup tokens: {"signup"}
  std::int64_t expires_unix{0};    // 0: never (static tokens)
  std::string user;                // signup tokens only
  bool operator==(const token_info&) const = default;
};

struct tokens_reply {
  std::vector<token_info> items;
  bool operator==(const tokens_reply&) const = default;
};

struct signup_info {
  std::string user;
  std::string otp_uri;        // otpauth://totp/...
  std::string qr_png_base64;  // the same as a QR code
  std::int64_t expires_unix{0};
  bool operator==(const signup_info&) const = default;
};

struct ssh_login_reply {
  std::string user;
  std::string ssh_certificate;
  std::string cluster_name;
  std::vector<std::string> host_ca_keys;
  bool operator==(const ssh_login_reply&) const = default;
};

struct events_reply {
  std::vector<std::string> events;  // JSON lines, oldest first
  bool truncated = false;           // the limit cut the answer
  bool operator==(const events_reply&) const = default;
};

struct audit_file_check {
  std::string file;
  std::int64_t lines{0};
  std::int64_t bad_line{0};  // 1-based; 0: intact
  std::string reason;
  bool operator==(const audit_file_check&) const = default;
};

struct audit_verify_reply {
  std::vector<audit_file_check> files;
  bool operator==(const audit_verify_reply&) const = default;
};

struct recording_reply {
  std::string data;
  std::uint64_t total{0};  // the part's size when it was read
  bool operator==(const recording_reply&) const = default;
};

// One CA's rotation as `tctl status` shows it.
struct ca_rotation_info {
  std::string type;   // "user" / "host"
  std::string state;  // "standby" / "in_progress"
  std::string phase;  // standby, init, update_clients, update_servers, rollback
  std::string mode;   // "", "auto", "manual"
  std::string current_id;
  std::int64_t started_unix{0};
  std::int64_t next_step_unix{0};  // auto mode: when the next phase begins; 0: none
  std::int64_t grace_period_seconds{0};
  std::int64_t last_rotated_unix{0};
  std::vector<std::string> fingerprints;  // SHA256 of every trusted key, the signer's first
  bool operator==(const ca_rotation_info&) const = default;
};

struct rotation_reply {
  std::vector<ca_rotation_info> cas;
  ca_keys keys;  // every trusted key, the signers' first
  bool operator==(const rotation_reply&) const = default;
};

// Alternatives are positional on the wire: append only.
using api_reply =
    std::variant<api_error, ok_reply, ping_reply, ca_keys, join_reply, certificate_reply,
                 resources_reply, token_info, tokens_reply, signup_info, ssh_login_reply,
                 events_reply, audit_verify_reply, recording_reply, rotation_reply>;

// The reply alternative each request expects (besides api_error).
template <class Request>
struct reply_of;
template <>
struct reply_of<join_request> {
  using type = join_reply;
};
template <>
struct reply_of<ping_request> {
  using type = ping_reply;
};
template <>
struct reply_of<ca_keys_request> {
  using type = ca_keys;
};
template <>
struct reply_of<sign_user_request> {
  using type = certificate_reply;
};
template <>
struct reply_of<sign_host_request> {
  using type = certificate_reply;
};
template <>
struct reply_of<upsert_resource_request> {
  using type = ok_reply;
};
template <>
struct reply_of<get_resources_request> {
  using type = resources_reply;
};
template <>
struct reply_of<delete_resource_request> {
  using type = ok_reply;
};
template <>
struct reply_of<create_signup_request> {
  using type = token_info;
};
template <>
struct reply_of<create_token_request> {
  using type = token_info;
};
template <>
struct reply_of<list_tokens_request> {
  using type = tokens_reply;
};
template <>
struct reply_of<delete_token_request> {
  using type = ok_reply;
};
template <>
struct reply_of<heartbeat_request> {
  using type = ok_reply;
};
template <>
struct reply_of<audit_event_request> {
  using type = ok_reply;
};
template <>
struct reply_of<signup_info_request> {
  using type = signup_info;
};
template <>
struct reply_of<complete_signup_request> {
  using type = token_info;
};
template <>
struct reply_of<ssh_login_request> {
  using type = ssh_login_reply;
};
template <>
struct reply_of<audit_query_request> {
  using type = events_reply;
};
template <>
struct reply_of<audit_verify_request> {
  using type = audit_verify_reply;
};
template <>
struct reply_of<session_chunk_request> {
  using type = ok_reply;
};
template <>
struct reply_of<recording_request> {
  using type = recording_reply;
};
template <>
struct reply_of<list_sessions_request> {
  using type = events_reply;
};
template <>
struct reply_of<validate_trusted_cluster_request> {
  using type = ca_keys;
};
template <>
struct reply_of<report_tunnels_request> {
  using type = ok_reply;
};
template <>
struct reply_of<remote_clusters_request> {
  using type = events_reply;
};
template <>
struct reply_of<delete_remote_cluster_request> {
  using type = ok_reply;
};
template <>
struct reply_of<rotate_ca_request> {
  using type = rotation_reply;
};
template <>
struct reply_of<rotation_status_request> {
  using type = rotation_reply;
};
template <>
struct reply_of<renew_identity_request> {
  using type = join_reply;
};
template <>
struct reply_of<update_remote_cas_request> {
  using type = ok_reply;
};
template <>
struct reply_of<proxy_keys_request> {
  using type = events_reply;
};
template <>
struct reply_of<auth_servers_request> {
  using type = events_reply;
};
template <class Request>
using reply_of_t = typename reply_of<Request>::type;

// The message a user sees for an error reply: "access denied: ...".
std::string describe(const api_error& e);

inline api_reply make_api_error(api_errc code, std::string message) {
  return api_error{code, std::move(message)};
}

}  // namespace tp::messages
