// Issuing OpenSSH certificates with the cluster's CAs: user certificates for
// logins (tsh login, `tctl auth sign --user`) and host certificates for nodes
// and OpenSSH servers (`tctl auth sign --host`).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/auth/ca_store.hpp"
#include "messages/result.hpp"
#include "transport/ssh_key.hpp"

namespace tp::actors::auth {

using sys_time = std::chrono::system_clock::time_point;

// Slack for clocks that lag the auth server's: certificates start this early.
inline constexpr std::chrono::minutes cert_backdate{1};

// What the user's roles permit; each true flag becomes the matching permit-*
// extension (pty, X11 and user-rc are always granted, as ssh-keygen does).
struct user_cert_options {
  bool permit_agent_forwarding = true;
  bool permit_port_forwarding = true;
  // Added to the permit-* ones: the user's roles and access policy.
  std::map<std::string, std::string> extensions;
};

// A requested user certificate TTL brought into [1m, 30h]; nullopt (or zero)
// means the 23h default.
std::chrono::seconds clamp_user_ttl(std::optional<std::chrono::seconds> requested);

// Signs `key` with the user CA: key id = user, principals = logins (at least
// one), valid from now-1m for the clamped TTL. Returns the certificate line
// ("ssh-ed25519-cert-v01@openssh.com AAAA...", the content of "*-cert.pub").
tp::result<std::string> sign_user_certificate(
    const cluster_cas& cas, const transport::public_key& key, const std::string& user,
    const std::vector<std::string>& logins, std::optional<std::chrono::seconds> ttl = {},
    const user_cert_options& options = {}, sys_time now = std::chrono::system_clock::now());

struct host_cert_request {
  std::string host_id;   // the node's UUID; "" for a bare OpenSSH host
  std::string nodename;  // the node's host name; may be ""
  // Listed as given after the derived ones: advertise IP, public_addr host names,
  // or every name for `tctl auth sign --host=a,b`.
  std::vector<std::string> extra_principals;
  // nullopt: never expires (Teleport's host certificates do not).
  std::optional<std::chrono::seconds> ttl;
};

// The host principals: host_id, host_id.<cluster>, nodename, nodename.<cluster>
// (each pair only when the name is set), then the extras; duplicates dropped.
std::vector<std::string> host_principals(const host_cert_request& request,
                                         const std::string& cluster_name);

// The principals that can be TLS subjectAltNames (host names and IPs): a host's TLS
// certificate answers to the names its SSH host certificate lists.
std::vector<std::string> tls_host_names(const std::vector<std::string>& principals);

// Signs `key` with the host CA; key id = host_id, or the first principal.
// Returns the certificate line.
tp::result<std::string> sign_host_certificate(const cluster_cas& cas,
                                              const transport::public_key& key,
                                              const host_cert_request& request,
                                              sys_time now = std::chrono::system_clock::now());

// A fresh key with its certificate, as `tctl auth sign --format=openssh` writes
// them: <out> (private key), <out>.pub and <out>-cert.pub.
struct key_files {
  std::string private_key;  // OpenSSH private key file text (secret: write 0600)
  std::string public_key;   // authorized_keys line + "\n"
  std::string certificate;  // certificate line + "\n"
};

tp::result<key_files> make_user_key_files(const cluster_cas& cas, const std::string& user,
                                          const std::vector<std::string>& logins,
                                          std::optional<std::chrono::seconds> ttl = {},
                                          const user_cert_options& options = {},
                                          transport::key_type type = transport::key_type::ed25519);

tp::result<key_files> make_host_key_files(const cluster_cas& cas, const host_cert_request& request,
                                          transport::key_type type = transport::key_type::ed25519);

}  // namespace tp::actors::auth
