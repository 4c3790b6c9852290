#include "actors/host/user_auth.hpp"

#include "transport/ssh_cert.hpp"

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

}  // namespace tp::actors
