// The cluster's certificate authorities: an OpenSSH user CA (signs user
// certificates), an OpenSSH host CA (signs host certificates) and an X.509 CA
// for the control plane's TLS. Created on the first start of the auth role and
// kept in the backend as `cert_authority` resources (JSON with secrets):
//
//   /authorities/user/<cluster>  user CA: checking_keys + signing_keys
//   /authorities/host/<cluster>  host CA: the same, plus the TLS CA in
//                                tls_key_pairs[0] (cert PEM + PKCS#8 key PEM)
//
// The TLS CA rides on the host CA record, as Teleport keeps it, so `tctl get
// cert_authority` shows it and a single write creates both.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/cert_authority.hpp"
#include "messages/result.hpp"
#include "persistence/backend.hpp"
#include "transport/ssh_key.hpp"
#include "transport/x509_cert.hpp"

namespace tp::actors::auth {

// The CAs of one cluster with their private halves, in memory of the auth process only.
struct cluster_cas {
  std::string cluster_name;
  transport::key_pair user;        // signs user certificates
  transport::key_pair host;        // signs host certificates
  transport::tls_credentials tls;  // the control plane's X.509 CA
  bool created = false;            // true if this call generated at least one of them

  // Everything trusted, the signer first: during a rotation (ca_rotation.hpp) the
  // old and the new generation.
  std::vector<transport::public_key> user_trusted;
  std::vector<transport::public_key> host_trusted;
  std::vector<transport::x509_certificate> tls_trusted;
  // Signs the auth server's own TLS certificate: the old CA until servers switch in
  // update_servers (hosts renew their certificates with the new one from update_clients).
  transport::tls_credentials tls_server_issuer;
  messages::rotation user_rotation;
  messages::rotation host_rotation;
  std::string user_raw, host_raw;  // the stored records, to notice another auth's change
};

// "/authorities/<user|host>/<cluster>".
std::string ca_backend_key(messages::ca_type type, std::string_view cluster_name);

// Loads the cluster's CAs, generating the missing ones (ed25519 SSH CAs, ECDSA
// P-256 TLS CA) with create-if-absent: when two auth servers race on a shared
// backend, the loser re-reads and both use the winner's keys. A stored record
// that cannot be used (bad key text, halves that do not match, another
// cluster's name) is an error, never silently replaced: replacing a CA would
// invalidate every certificate the cluster issued.
tp::result<cluster_cas> load_or_create_cas(persistence::backend& db,
                                           const std::string& cluster_name);

// A new CA of `type` (ed25519; a host CA also gets an ECDSA P-256 TLS CA), not stored.
tp::result<messages::cert_authority> generate_ca(messages::ca_type type,
                                                 const std::string& cluster_name);

// Replaces this cluster's CA record of `type` by change(current) with compare-and-swap
// (once more if another auth server changed it in between). Returns the stored record.
tp::result<messages::cert_authority> update_ca_record(
    persistence::backend& db, messages::ca_type type, const std::string& cluster_name,
    const std::function<tp::result<messages::cert_authority>(const messages::cert_authority&)>&
        change);

// The raw stored bytes of both of this cluster's CA records (user, host), to compare
// with cluster_cas::user_raw/host_raw.
tp::result<std::pair<std::string, std::string>> stored_ca_bytes(persistence::backend& db,
                                                                const std::string& cluster_name);

// The stored record of one CA (secrets included), e.g. for `tctl get cert_authority`.
tp::result<messages::cert_authority> load_ca_record(persistence::backend& db,
                                                    messages::ca_type type,
                                                    const std::string& cluster_name);

}  // namespace tp::actors::auth
