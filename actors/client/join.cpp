#include "actors/client/join.hpp"

#include <spdlog/spdlog.h>

#include "actors/client/auth_client.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/x509_cert.hpp"

namespace tp::actors {

tp::result<join_keys> generate_join_keys() {
  auto ssh = transport::key_pair::generate(transport::key_type::ed25519);
  if (!ssh) return tp::make_error("cannot generate the host key: " + ssh.message());
  auto tls = transport::x509_private_key::generate();
  if (!tls) return tp::make_error("cannot generate the TLS key: " + tls.message());
  return join_keys{std::move(*ssh), std::move(*tls)};
}

tp::result<messages::join_request> make_join_request(const join_keys& keys, std::string token,
                                                     std::string role, std::string host_id,
                                                     std::string nodename,
                                                     std::vector<std::string> principals) {
  auto tls_pub = keys.tls.public_part().to_pem();
  if (!tls_pub) return tls_pub.err();
  messages::join_request req;
  req.token = std::move(token);
  req.role = std::move(role);
  req.host_id = std::move(host_id);
  req.nodename = std::move(nodename);
  req.additional_principals = std::move(principals);
  req.ssh_public_key = keys.ssh.pub().authorized_key();
  req.tls_public_key_pem = std::move(*tls_pub);
  return req;
}

tp::result<identity> identity_from_join(const messages::join_reply& reply, const join_keys& keys,
                                        const std::string& nodename) {
  auto key_pem = keys.tls.to_pem();
  if (!key_pem) return key_pem.err();
  identity id;
  id.role = reply.role;
  id.host_id = reply.host_id;
  id.nodename = nodename;
  id.cluster_name = reply.cas.cluster_name;
  id.tls_cert_pem = reply.tls_cert_pem;
  id.tls_key_pem = std::move(*key_pem);
  id.tls_ca_pem = reply.cas.tls_ca_pem;
  id.ssh_private_key = transport::encode_openssh_private_key(keys.ssh, reply.host_id);
  id.ssh_certificate = reply.ssh_certificate;
  id.user_ca_keys = reply.cas.user_ca_keys;
  id.host_ca_keys = reply.cas.host_ca_keys;
  // Refuse to keep an identity whose halves do not match.
  if (auto parts = tls_parts(id); !parts) return parts.err();
  return id;
}

tp::result<identity> join_cluster(const join_params& p) {
  if (p.token.empty()) {
    return tp::make_error(
        "this host has no identity yet: pass --token (from `tctl nodes add`) "
        "to join the cluster");
  }
  auto keys = generate_join_keys();
  if (!keys) return keys.err();
  auto req =
      make_join_request(*keys, p.token, p.role, p.host_id, p.nodename, p.additional_principals);
  if (!req) return req.err();

  const std::string where = p.auth_host + ":" + std::to_string(p.auth_port);
  tp::error last{"no auth server to join"};
  // Each pin is tried in turn (a cluster in CA rotation has two).
  const std::vector<std::string> pins =
      p.ca_pins.empty() ? std::vector<std::string>{""} : p.ca_pins;
  for (const auto& pin : pins) {
    transport::server_trust trust;
    if (pin.empty()) {
      trust.allow_insecure = true;
    } else {
      auto normalized = transport::normalize_ca_pin(pin);
      if (!normalized) return tp::make_error("--ca-pin: " + normalized.message());
      trust.ca_pin = *normalized;
    }
    auto client = auth_client::connect(p.auth_host, p.auth_port, trust);
    if (!client) {
      last = tp::make_error("cannot join via auth server " + where + ": " + client.message());
      continue;
    }
    if (pin.empty()) {
      spdlog::warn(
          "no CA pin given: trusting the auth server's CA {} on first use; pass "
          "--ca-pin (see `tctl status`) to verify it",
          (*client)->server_ca_pin());
    }
    auto reply = (*client)->call_as(*req);
    if (!reply) {
      return tp::make_error("the auth server at " + where +
                            " refused to join this host: " + reply.message());
    }
    if (reply->role != p.role || reply->host_id != p.host_id) {
      return tp::make_error("the auth server answered with an identity for another host");
    }
    return identity_from_join(*reply, *keys, p.nodename);
  }
  return last;
}

}  // namespace tp::actors
