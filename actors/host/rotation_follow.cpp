#include "actors/host/rotation_follow.hpp"

#include <spdlog/spdlog.h>

#include "actors/client/auth_client.hpp"
#include "messages/version.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_key.hpp"
#include "transport/x509_cert.hpp"
#include "transport/x509_key.hpp"

namespace tp::actors {
namespace {

std::string blob_of(const std::string& authorized_key) {
  auto k = transport::public_key::from_authorized_key(authorized_key);
  return k ? k->blob() : std::string();
}

}  // namespace

bool auth_knows_rotation(std::string_view server_version) {
  auto v = parse_semver(server_version);
  return v && (v->major > 0 || v->minor >= 1);
}

bool needs_renewal(const identity& id, const messages::ca_keys& keys) {
  if (keys.host_ca_keys.empty() || id.ssh_certificate.empty()) return false;
  auto cert = transport::parse_certificate_line(id.ssh_certificate);
  if (!cert) return true;  // unreadable: a fresh one is the way out
  if (cert->signature_key.blob() != blob_of(keys.host_ca_keys.front())) return true;
  auto tls_cas = transport::x509_certificate::chain_from_pem(keys.tls_ca_pem);
  auto leaf = transport::x509_certificate::from_pem(id.tls_cert_pem);
  if (!tls_cas || tls_cas->empty() || !leaf) return false;
  return !transport::verify_x509_chain(*leaf, tls_cas->front(), transport::x509_purpose::any);
}

bool take_trust(identity& id, const messages::ca_keys& keys) {
  if (keys.host_ca_keys.empty() || keys.user_ca_keys.empty() || keys.tls_ca_pem.empty())
    return false;  // never trust nothing: an empty answer is ignored
  if (id.user_ca_keys == keys.user_ca_keys && id.host_ca_keys == keys.host_ca_keys &&
      id.tls_ca_pem == keys.tls_ca_pem)
    return false;
  id.user_ca_keys = keys.user_ca_keys;
  id.host_ca_keys = keys.host_ca_keys;
  id.tls_ca_pem = keys.tls_ca_pem;
  return true;
}

tp::result<rotation_step> follow_rotation(auth_client& client, identity& id,
                                          messages::ca_keys& keys_out) {
  rotation_step step;
  auto state = client.call_as(messages::rotation_status_request{}, std::chrono::seconds{10});
  if (!state) return state.err();
  // The TLS CA bundle must parse before the identity takes it: a host that cannot read
  // its trust cannot reconnect.
  auto bundle = transport::x509_certificate::chain_from_pem(state->keys.tls_ca_pem);
  if (!bundle || bundle->empty())
    return make_error("auth sent an unreadable TLS CA bundle; keeping the current trust");
  for (const auto& c : *bundle) {
    if (!c.is_ca()) return make_error("auth sent a TLS CA bundle with a non-CA certificate");
  }
  for (const auto& line : state->keys.host_ca_keys) {
    if (blob_of(line).empty()) return make_error("auth sent a host CA key that does not parse");
  }
  keys_out = state->keys;
  step.trust_changed = take_trust(id, state->keys);
  if (!needs_renewal(id, state->keys)) return step;

  auto fail = [&](std::string why) {
    step.renew_error = "renewing the certificates for the CA that signs now failed: " + why;
    return step;
  };
  auto tls_key = transport::x509_private_key::from_pem(id.tls_key_pem);
  if (!tls_key) return fail("the identity's TLS key: " + tls_key.message());
  auto tls_pub = tls_key->public_part().to_pem();
  if (!tls_pub) return fail(tls_pub.message());
  auto renewed = client.call_as(messages::renew_identity_request{id.ssh_certificate, *tls_pub},
                                std::chrono::seconds{30});
  if (!renewed) return fail(renewed.message());
  // Check what came back fits our keys before replacing anything.
  if (!transport::credentials_from_pem(renewed->tls_cert_pem, id.tls_key_pem))
    return fail("auth sent a TLS certificate for another key");
  auto cert = transport::parse_certificate_line(renewed->ssh_certificate);
  auto own = transport::parse_certificate_line(id.ssh_certificate);
  if (!cert || !own || !(cert->key == own->key))
    return fail("auth sent an SSH certificate for another key");
  id.ssh_certificate = renewed->ssh_certificate;
  id.tls_cert_pem = renewed->tls_cert_pem;
  step.renewed = true;  // the trust is the state's, checked above
  return step;
}

}  // namespace tp::actors
