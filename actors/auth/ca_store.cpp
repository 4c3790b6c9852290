#include "actors/auth/ca_store.hpp"

#include <utility>

#include "messages/metadata.hpp"
#include "messages/resource.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/x509_ca.hpp"

namespace tp::actors::auth {
namespace {

using messages::ca_type;
using messages::cert_authority;
using persistence::error_kind;

struct stored_ca {
  cert_authority ca;
  std::string raw;  // the exact stored bytes, for compare_and_swap
};

persistence::db_result<stored_ca> fetch(persistence::backend& db, const std::string& key) {
  auto got = db.get(key);
  if (!got) return persistence::error_as<stored_ca>(got);
  auto parsed = messages::as_kind<cert_authority>(messages::parse_resource_json(got->value));
  if (!parsed) {
    return {error_kind::bad_parameter, "the stored record " + key + " is damaged (" +
                                           parsed.message() +
                                           "); restore the backend from a backup"};
  }
  return stored_ca{std::move(*parsed), std::move(got->value)};
}

std::string encode(const cert_authority& ca) {
  return messages::to_json(messages::resource{ca}, /*with_secrets=*/true).dump();
}

tp::status add_tls_ca(cert_authority& ca, const std::string& cluster_name) {
  auto tls = transport::create_ca(cluster_name);
  if (!tls) return make_error("cannot create the TLS CA: " + tls.message());
  auto cert = tls->cert.to_pem();
  auto key = tls->key.to_pem();
  if (!cert || !key) return make_error("cannot encode the TLS CA as PEM");
  ca.spec.tls_key_pairs.push_back({std::move(*cert), std::move(*key)});
  return {};
}

}  // namespace

tp::result<cert_authority> generate_ca(ca_type type, const std::string& cluster_name) {
  auto key = transport::key_pair::generate(transport::key_type::ed25519);
  if (!key)
    return make_error("cannot generate the " + std::string(to_string(type)) +
                      " CA key: " + key.message());
  cert_authority ca;
  ca.meta.name = cluster_name;
  ca.spec.type = type;
  ca.spec.cluster_name = cluster_name;
  ca.spec.checking_keys = {key->pub().authorized_key()};
  ca.spec.signing_keys = {transport::encode_openssh_private_key(*key)};
  ca.spec.signing_alg = std::string(transport::key_type_name(key->type()));
  ca.spec.rotation_state.state = "standby";  // schema 2: every CA has a rotation state
  ca.spec.rotation_state.phase = "standby";
  if (type == ca_type::host) {
    if (auto s = add_tls_ca(ca, cluster_name); !s) return s.err();
  }
  return ca;
}

namespace {

// The stored CA of `type`, created if absent. One retry covers losing a
// creation race; a second already_exists/not_found flip means something else
// is deleting records under us, which we report instead of looping.
tp::result<stored_ca> ensure_ssh_ca(persistence::backend& db, ca_type type,
                                    const std::string& cluster_name, bool& created) {
  const std::string key = ca_backend_key(type, cluster_name);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto got = fetch(db, key);
    if (got) return std::move(*got);
    if (!got.is(error_kind::not_found))
      return make_error("cannot read " + key + ": " + got.message());
    auto fresh = generate_ca(type, cluster_name);
    if (!fresh) return fresh.err();
    std::string raw = encode(*fresh);
    auto put = db.create(key, raw);
    if (put) {
      created = true;
      return stored_ca{std::move(*fresh), std::move(raw)};
    }
    if (!put.is(error_kind::already_exists)) {
      return make_error("cannot store " + key + ": " + put.message());
    }
  }
  return make_error("cannot read or create " + key +
                    ": the record keeps appearing and disappearing; is another process "
                    "deleting it?");
}

// A host CA stored without a TLS CA (e.g. imported) gets one, written with
// compare-and-swap so a concurrent auth server's addition wins intact.
tp::status ensure_tls_ca(persistence::backend& db, stored_ca& host, const std::string& cluster_name,
                         bool& created) {
  const std::string key = ca_backend_key(ca_type::host, cluster_name);
  for (int attempt = 0; attempt < 2 && host.ca.spec.tls_key_pairs.empty(); ++attempt) {
    cert_authority updated = host.ca;
    if (auto s = add_tls_ca(updated, cluster_name); !s) return s;
    std::string raw = encode(updated);
    auto swapped = db.compare_and_swap(key, host.raw, raw);
    if (swapped) {
      created = true;
      host = stored_ca{std::move(updated), std::move(raw)};
      return {};
    }
    if (!swapped.is(error_kind::compare_failed)) {
      return make_error("cannot add the TLS CA to " + key + ": " + swapped.message());
    }
    auto again = fetch(db, key);
    if (!again) return make_error("cannot read " + key + ": " + again.message());
    host = std::move(*again);
  }
  if (host.ca.spec.tls_key_pairs.empty()) {
    return make_error("cannot add the TLS CA to " + key + ": it keeps changing under us");
  }
  return {};
}

tp::result<transport::key_pair> signing_key(const cert_authority& ca, const std::string& key) {
  if (ca.spec.cluster_name != ca.meta.name) {
    return make_error(key + " belongs to cluster \"" + ca.spec.cluster_name + "\"");
  }
  if (ca.spec.signing_keys.empty() || ca.spec.checking_keys.empty()) {
    return make_error(key + " has no key pair; the auth server needs the CA's private key");
  }
  auto pair = transport::parse_openssh_private_key(ca.spec.signing_keys.front());
  if (!pair) return make_error(key + ": cannot read the signing key: " + pair.message());
  auto pub = transport::public_key::from_authorized_key(ca.spec.checking_keys.front());
  if (!pub) return make_error(key + ": cannot read the checking key: " + pub.message());
  if (!(*pub == pair->pub())) {
    return make_error(key + ": the first signing key does not match the first checking key");
  }
  return std::move(*pair);
}

tp::status trusted_keys(const cert_authority& ca, const std::string& key,
                        std::vector<transport::public_key>& out) {
  for (const auto& line : ca.spec.checking_keys) {
    auto pub = transport::public_key::from_authorized_key(line);
    if (!pub) return make_error(key + ": cannot read a checking key: " + pub.message());
    out.push_back(std::move(*pub));
  }
  return {};
}

tp::status trusted_tls(const cert_authority& ca, const std::string& key,
                       std::vector<transport::x509_certificate>& out) {
  for (const auto& kp : ca.spec.tls_key_pairs) {
    auto cert = transport::x509_certificate::from_pem(kp.cert);
    if (!cert || !cert->is_ca()) return make_error(key + ": a TLS CA certificate is unusable");
    out.push_back(std::move(*cert));
  }
  return {};
}

tp::result<transport::tls_credentials> tls_ca(const cert_authority& ca, const std::string& key) {
  const auto& kp = ca.spec.tls_key_pairs.front();
  auto creds = transport::credentials_from_pem(kp.cert, kp.key);
  if (!creds) return make_error(key + ": cannot read the TLS CA: " + creds.message());
  if (!creds->cert.is_ca()) return make_error(key + ": the TLS certificate is not a CA");
  return std::move(*creds);
}

}  // namespace

std::string ca_backend_key(ca_type type, std::string_view cluster_name) {
  return "/authorities/" + std::string(to_string(type)) + "/" + std::string(cluster_name);
}

tp::result<messages::cert_authority> load_ca_record(persistence::backend& db, ca_type type,
                                                    const std::string& cluster_name) {
  if (auto s = messages::validate_name(cluster_name); !s) {
    return make_error("bad cluster name \"" + cluster_name + "\": " + s.message());
  }
  const std::string key = ca_backend_key(type, cluster_name);
  auto got = fetch(db, key);
  if (!got) return make_error("cannot read " + key + ": " + got.message());
  return std::move(got->ca);
}

tp::result<cluster_cas> load_or_create_cas(persistence::backend& db,
                                           const std::string& cluster_name) {
  if (auto s = messages::validate_name(cluster_name); !s) {
    return make_error("bad cluster name \"" + cluster_name + "\": " + s.message());
  }
  cluster_cas out;
  out.cluster_name = cluster_name;
  auto user = ensure_ssh_ca(db, ca_type::user, cluster_name, out.created);
  if (!user) return user.err();
  auto host = ensure_ssh_ca(db, ca_type::host, cluster_name, out.created);
  if (!host) return host.err();
  if (auto s = ensure_tls_ca(db, *host, cluster_name, out.created); !s) return s.err();

  auto user_key = signing_key(user->ca, ca_backend_key(ca_type::user, cluster_name));
  if (!user_key) return user_key.err();
  auto host_key = signing_key(host->ca, ca_backend_key(ca_type::host, cluster_name));
  if (!host_key) return host_key.err();
  auto tls = tls_ca(host->ca, ca_backend_key(ca_type::host, cluster_name));
  if (!tls) return tls.err();
  out.user = std::move(*user_key);
  out.host = std::move(*host_key);
  out.tls = std::move(*tls);
  const auto user_name = ca_backend_key(ca_type::user, cluster_name);
  const auto host_name = ca_backend_key(ca_type::host, cluster_name);
  if (auto s = trusted_keys(user->ca, user_name, out.user_trusted); !s) return s.err();
  if (auto s = trusted_keys(host->ca, host_name, out.host_trusted); !s) return s.err();
  if (auto s = trusted_tls(host->ca, host_name, out.tls_trusted); !s) return s.err();
  out.tls_server_issuer = out.tls;
  if (host->ca.spec.rotation_state.phase == "update_clients" &&
      host->ca.spec.tls_key_pairs.size() >= 2) {
    const auto& old = host->ca.spec.tls_key_pairs[1];
    auto creds = transport::credentials_from_pem(old.cert, old.key);
    if (!creds || !creds->cert.is_ca())
      return make_error(host_name + ": cannot read the previous TLS CA");
    out.tls_server_issuer = std::move(*creds);
  }
  out.user_rotation = user->ca.spec.rotation_state;
  out.host_rotation = host->ca.spec.rotation_state;
  out.user_raw = std::move(user->raw);
  out.host_raw = std::move(host->raw);
  return out;
}

tp::result<messages::cert_authority> update_ca_record(
    persistence::backend& db, ca_type type, const std::string& cluster_name,
    const std::function<tp::result<cert_authority>(const cert_authority&)>& change) {
  const std::string key = ca_backend_key(type, cluster_name);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto got = fetch(db, key);
    if (!got) return make_error("cannot read " + key + ": " + got.message());
    auto next = change(got->ca);
    if (!next) return next.err();
    std::string raw = encode(*next);
    auto swapped = db.compare_and_swap(key, got->raw, raw);
    if (swapped) return std::move(*next);
    if (!swapped.is(error_kind::compare_failed))
      return make_error("cannot store " + key + ": " + swapped.message());
  }
  return make_error("cannot update " + key + ": another auth server keeps changing it");
}

tp::result<std::pair<std::string, std::string>> stored_ca_bytes(persistence::backend& db,
                                                                const std::string& cluster_name) {
  auto user = db.get(ca_backend_key(ca_type::user, cluster_name));
  if (!user) return make_error("cannot read the user CA: " + user.message());
  auto host = db.get(ca_backend_key(ca_type::host, cluster_name));
  if (!host) return make_error("cannot read the host CA: " + host.message());
  return std::make_pair(std::move(user->value), std::move(host->value));
}

}  // namespace tp::actors::auth
