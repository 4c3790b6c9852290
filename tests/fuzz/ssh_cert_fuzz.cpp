// libFuzzer entry point for the OpenSSH certificate parser (and, through it, the wire
// reader and public key parser). Build with clang:
//   -fsanitize=fuzzer,address,undefined, linked with the transport library built with
//   -fsanitize=fuzzer-no-link,address,undefined.
// A useful seed corpus is any "*-cert.pub" file's base64 part, decoded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transport/ssh_cert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto cert = tp::transport::parse_certificate(input);
  if (cert) {
    // Exercise the checks too; a trusted set containing the cert's own CA lets the fuzzer
    // reach the signature, validity, principal and option checks.
    tp::transport::verify_options opts;
    opts.trusted_ca_blobs = {cert->signature_key.blob()};
    opts.principal = "root";
    opts.now = 1700000000;
    opts.client_address = "192.0.2.1";
    (void)tp::transport::verify_certificate(*cert, opts);
    (void)cert->authorized_key();
  }
  (void)tp::transport::public_key::from_blob(input);
  return 0;
}
