// Internal to the SSH key code: building OpenSSL keys from SSH fields. Include only from
// transport/ssh_*.cpp.
#pragma once

#include <memory>
#include <string_view>

#include "transport/ssh_key.hpp"
#include "transport/ssh_openssl.hpp"

namespace tp::transport::detail {

struct curve_info {
  key_type type;
  std::string_view curve_id;  // the SSH name of the curve: "nistp256"
  const char* group;          // OpenSSL's group name
  std::size_t field_bytes;    // size of a coordinate and of the private scalar
  const EVP_MD* (*digest)();  // the hash RFC 5656 pairs with the curve
};

// nullptr for non-ECDSA types.
const curve_info* curve_of(key_type t);

using pkey_result = result<std::shared_ptr<EVP_PKEY>>;

// Each builder validates what it is given (sizes, point on curve, RSA bounds, and for
// private keys that the private half matches the public one). An empty private part
// builds a public-only key.
pkey_result ed25519_from_parts(std::string_view pub, std::string_view seed);
pkey_result ec_from_parts(const curve_info& c, std::string_view point, std::string_view priv);
struct rsa_parts {
  std::string_view n, e, d, iqmp, p, q;  // unsigned big-endian magnitudes
};
pkey_result rsa_from_parts(const rsa_parts& parts);

}  // namespace tp::transport::detail
