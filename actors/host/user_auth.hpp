// The check every SSH entry point of the cluster (node, proxy) makes on a
// login: an OpenSSH user certificate signed by one of the cluster's user CAs,
// listing the requested login, valid now (with a minute of clock skew), with
// no unknown critical option and a matching source-address.
#pragma once

#include <string>
#include <vector>

#include "messages/result.hpp"
#include "transport/ssh_server_handler.hpp"

namespace tp::actors {

tp::status check_user_certificate(const std::vector<std::string>& user_ca_blobs,
                                  const transport::auth_attempt& a);

}  // namespace tp::actors
