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

tp::result<std::string> export_authorities(const cluster_cas& cas, export_type type,
                                           const known_hosts_options& options) {
  switch (type) {
    case export_type::all:
      return known_hosts_line(cas.host.pub(), cas.cluster_name, options) + "\n" +
             authorized_keys_line(cas.user.pub(), cas.cluster_name) + "\n";
    case export_type::user:
      return authorized_keys_line(cas.user.pub(), cas.cluster_name) + "\n";
    case export_type::host:
      return known_hosts_line(cas.host.pub(), cas.cluster_name, options) + "\n";
    case export_type::tls: {
      auto pem = cas.tls.cert.to_pem();
      if (!pem) return make_error("cannot encode the TLS CA: " + pem.message());
      return std::move(*pem);
    }
  }
  return make_error("unknown export type");
}

std::string ca_pin(const cluster_cas& cas) {
  return transport::ca_pin(cas.tls.cert);
}

}  // namespace tp::actors::auth
