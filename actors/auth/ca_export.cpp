#include "actors/auth/ca_export.hpp"

#include "transport/x509_cert.hpp"

namespace tp::actors::auth {

std::optional<export_type> parse_export_type(std::string_view text) {
  if (text.empty()) return export_type::all;
  if (text == "user") return export_type::user;
  if (text == "host") return export_type::host;
  if (text == "tls") return export_type::tls;
  return std::nullopt;
}

std::string known_hosts_line(const transport::public_key& host_ca, std::string_view cluster_name,
                             const known_hosts_options& options) {
  const std::string cluster(cluster_name);
  std::string patterns;
  auto add = [&](const std::string& p) { patterns += (patterns.empty() ? "" : ",") + p; };
  if (options.cluster_host) add(cluster);
  add("*." + cluster);
  if (options.any_port) {
    if (options.cluster_host) add("[" + cluster + "]:*");
    add("[*." + cluster + "]:*");
  }
  return "@cert-authority " + patterns + " " + host_ca.authorized_key("type=host");
}

std::string authorized_keys_line(const transport::public_key& user_ca,
                                 std::string_view cluster_name) {
  return "cert-authority " + user_ca.authorized_key("clustername=" + std::string(cluster_name));
}

namespace {

// Every trusted key (both generations during a rotation), else the signer.
const std::vector<transport::public_key>& or_signer(const std::vector<transport::public_key>& v,
                                                    const transport::key_pair& signer,
                                                    std::vector<transport::public_key>& tmp) {
  if (!v.empty()) return v;
  tmp = {signer.pub()};
  return tmp;
}

}  // namespace

tp::result<std::string> export_authorities(const cluster_cas& cas, export_type type,
                                           const known_hosts_options& options) {
  std::vector<transport::public_key> tmp_host, tmp_user;
  const auto& host = or_signer(cas.host_trusted, cas.host, tmp_host);
  const auto& user = or_signer(cas.user_trusted, cas.user, tmp_user);
  std::string out;
  if (type == export_type::host || type == export_type::all) {
    for (const auto& k : host) out += known_hosts_line(k, cas.cluster_name, options) + "\n";
  }
  if (type == export_type::user || type == export_type::all) {
    for (const auto& k : user) out += authorized_keys_line(k, cas.cluster_name) + "\n";
  }
  if (type == export_type::tls) {
    std::vector<transport::x509_certificate> certs = cas.tls_trusted;
    if (certs.empty()) certs = {cas.tls.cert};
    for (const auto& c : certs) {
      auto pem = c.to_pem();
      if (!pem) return make_error("cannot encode the TLS CA: " + pem.message());
      out += *pem;
    }
  }
  return out;
}

std::string ca_pin(const cluster_cas& cas) {
  // The CA the auth server sends in its chain, which joining hosts check the pin against
  // (the previous one during update_clients).
  const auto& sent = cas.tls_server_issuer.cert.empty() ? cas.tls.cert : cas.tls_server_issuer.cert;
  return transport::ca_pin(sent);
}

}  // namespace tp::actors::auth
