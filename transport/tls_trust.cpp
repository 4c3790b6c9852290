#include "transport/tls_trust.hpp"

#include <openssl/x509v3.h>

#include <span>

namespace tp::transport {
namespace {

bool is_ip_literal(const std::string& s) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(s.c_str());
  if (ip == nullptr) return false;
  ASN1_OCTET_STRING_free(ip);
  return true;
}

result<x509_certificate> pick_anchor(const std::vector<x509_certificate>& chain,
                                     const server_trust& trust, sys_time now) {
  if (trust.ca) {
    // During a rotation the old and the new CA share a name: the one the leaf verifies
    // under is the anchor; the configured CA when none does (its error is reported).
    std::span<const x509_certificate> rest(chain.data() + 1, chain.size() - 1);
    for (const auto& other : trust.also_trusted) {
      if (verify_x509_chain(chain.front(), other, x509_purpose::tls_server, now, rest))
        return other;
    }
    return *trust.ca;
  }
  // Candidates: self-signed CA certificates the server sent after its leaf.
  std::vector<const x509_certificate*> cas;
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (chain[i].is_ca() && chain[i].is_self_signed()) cas.push_back(&chain[i]);
  }
  if (cas.empty())
    return make_error(
        "the auth server did not send its CA certificate, so its CA pin cannot be checked");
  if (trust.ca_pin) {
    for (const auto* c : cas) {
      if (ca_pin(*c) == *trust.ca_pin) return *c;
    }
    return make_error("the auth server's CA pin " + ca_pin(*cas.back()) +
                      " does not match the expected pin " + *trust.ca_pin);
  }
  if (trust.allow_insecure) return *cas.back();
  return make_error("no CA or CA pin to verify the auth server with");
}

}  // namespace

result<trusted_server> check_server_chain(const std::vector<x509_certificate>& chain,
                                          const server_trust& trust, sys_time now) {
  if (chain.empty() || chain.front().empty())
    return make_error("the auth server presented no certificate");
  auto anchor = pick_anchor(chain, trust, now);
  if (!anchor) return anchor.err();
  const x509_certificate& leaf = chain.front();
  std::span<const x509_certificate> rest(chain.data() + 1, chain.size() - 1);
  if (auto st = verify_x509_chain(leaf, *anchor, x509_purpose::tls_server, now, rest); !st)
    return make_error("the auth server's certificate is not trusted: " + st.message());
  auto id = identity_from_certificate(leaf);
  if (!id)
    return make_error("the auth server's certificate has no usable identity: " + id.message());
  if (!trust.expected_role.empty() && !id->has_role(trust.expected_role))
    return make_error("the server's certificate is for \"" + id->name + "\" without the " +
                      trust.expected_role + " role; it is not the cluster's " +
                      trust.expected_role + " server");
  if (trust.expected_name) {
    const std::string& name = *trust.expected_name;
    int rc = is_ip_literal(name)
                 ? X509_check_ip_asc(leaf.native(), name.c_str(), 0)
                 : X509_check_host(leaf.native(), name.data(), name.size(), 0, nullptr);
    if (rc != 1)
      return make_error("the auth server's certificate is not valid for \"" + name + "\"");
  }
  // A pin was given alongside a CA: both must agree.
  std::string pin = ca_pin(*anchor);
  if (trust.ca && trust.ca_pin && pin != *trust.ca_pin)
    return make_error("the auth server's CA pin " + pin + " does not match the expected pin " +
                      *trust.ca_pin);
  return trusted_server{std::move(id).value(), std::move(pin)};
}

}  // namespace tp::transport
