// The proxy's HTTPS certificate: the configured https_cert_file/https_key_file,
// or a self-signed one generated on first start and kept in data_dir
// (webproxy_cert.pem / webproxy_key.pem, 0600), as Teleport does for tests.
#pragma once

#include <string>
#include <utility>

#include "config/config.hpp"
#include "messages/result.hpp"

namespace tp::actors {

// PEM certificate chain and PEM private key.
tp::result<std::pair<std::string, std::string>> load_or_create_web_tls(
    const config::teleport_config& cfg);

}  // namespace tp::actors
