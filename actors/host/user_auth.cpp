#include "actors/host/user_auth.hpp"

namespace tp::actors {

tp::status check_user_certificate(const std::vector<std::string>& user_ca_blobs,
                                  const transport::auth_attempt& a) {
  auto cert = transport::parse_certificate(a.certificate_blob);
  if (!cert) return tp::make_error("not a certificate: " + cert.message());
  transport::verify_options o;
  o.trusted_ca_blobs = user_ca_blobs;
  o.expected_kind = transport::cert_type::user;
  o.principal = a.user;
  o.client_address = a.peer_address;
  o.clock_skew = std::chrono::seconds{60};
  return transport::verify_certificate(*cert, o);
}

tp::result<std::optional<messages::access_policy>> access_policy_of(
    const transport::ssh_certificate& cert) {
  auto it = cert.extensions.find(std::string(messages::policy_extension));
  if (it == cert.extensions.end()) return std::optional<messages::access_policy>{};
  auto p = messages::decode_access_policy(it->second);
  if (!p) return tp::make_error("the certificate's access policy: " + p.message());
  return std::optional<messages::access_policy>{std::move(*p)};
}

tp::status check_role_access(const transport::auth_attempt& a, const messages::label_map& labels) {
  auto cert = transport::parse_certificate(a.certificate_blob);
  if (!cert) return tp::make_error("not a certificate: " + cert.message());
  auto policy = access_policy_of(*cert);
  if (!policy) return policy.err();
  if (!*policy) return {};
  return (*policy)->check_login(a.user, labels);
}

}  // namespace tp::actors
