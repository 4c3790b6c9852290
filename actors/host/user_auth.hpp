// The check every SSH entry point of the cluster (node, proxy) makes on a
// login: an OpenSSH user certificate signed by one of the cluster's user CAs,
// listing the requested login, valid now (with a minute of clock skew), with
// no unknown critical option and a matching source-address. Then the user's
// roles, as auth signed them into the certificate (messages/access_policy).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/access_policy.hpp"
#include "messages/result.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_server_handler.hpp"

namespace tp::actors {

tp::status check_user_certificate(const std::vector<std::string>& user_ca_blobs,
                                  const transport::auth_attempt& a);

// The access policy a certificate carries; nullopt for one without (signed before
// roles existed, or by hand with the CA key: the admin's reach, every node). A
// policy that does not decode is an error, never "no policy".
tp::result<std::optional<messages::access_policy>> access_policy_of(
    const transport::ssh_certificate& cert);

// May the attempt's login log in to a host with these labels? Call after
// check_user_certificate: the certificate's signature is not checked here.
tp::status check_role_access(const transport::auth_attempt& a, const messages::label_map& labels);

}  // namespace tp::actors
