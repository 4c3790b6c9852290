#include "actors/auth/ca_sign.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>

#include "config/config.hpp"
#include "messages/metadata.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_private_key.hpp"

namespace tp::actors::auth {
namespace {

using std::chrono::seconds;

std::uint64_t epoch_seconds(sys_time t) {
  auto s = std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
  return s < 0 ? 0 : static_cast<std::uint64_t>(s);
}

// A random serial so a KRL can revoke one certificate without its siblings.
std::uint64_t random_serial() {
  std::uint64_t v = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
  return v;
}

// Principals end up in logins and host name matching: refuse anything that
// could not be one (empty, whitespace, control bytes, ',' which OpenSSH's
// principal lists split on).
tp::status check_principal(const std::string& p, const char* what) {
  if (p.empty()) return make_error(std::string("empty ") + what);
  if (p.size() > 255)
    return make_error(std::string(what) + " \"" + p.substr(0, 32) + "...\" is too long");
  for (unsigned char c : p) {
    if (c <= 0x20 || c == 0x7f || c == ',') {
      return make_error(std::string(what) + " \"" + p +
                        "\" contains a space, comma or control character");
    }
  }
  return {};
}

tp::result<std::string> sign(const transport::cert_template& t, const transport::key_pair& ca) {
  auto blob = transport::sign_certificate(t, ca);
  if (!blob) return make_error("cannot sign the certificate: " + blob.message());
  return transport::certificate_line(*blob);
}

}  // namespace

seconds clamp_user_ttl(std::optional<seconds> requested) {
  const seconds dflt = config::default_user_cert_ttl;
  if (!requested || requested->count() == 0) return dflt;
  return std::clamp<seconds>(*requested, config::min_user_cert_ttl, config::max_user_cert_ttl);
}

tp::result<std::string> sign_user_certificate(const cluster_cas& cas,
                                              const transport::public_key& key,
                                              const std::string& user,
                                              const std::vector<std::string>& logins,
                                              std::optional<seconds> ttl,
                                              const user_cert_options& options, sys_time now) {
  if (key.empty()) return make_error("no public key to certify");
  if (auto s = messages::validate_name(user); !s) {
    return make_error("bad user name \"" + user + "\": " + s.message());
  }
  if (logins.empty()) {
    return make_error("user \"" + user +
                      "\" has no logins; add some to the user's roles or traits");
  }
  for (const auto& login : logins) {
    if (auto s = check_principal(login, "login"); !s) return s.err();
  }
  transport::cert_template t;
  t.key = key;
  t.kind = transport::cert_type::user;
  t.serial = random_serial();
  t.key_id = user;
  t.principals = logins;
  t.valid_after = epoch_seconds(now - cert_backdate);
  t.valid_before = epoch_seconds(now + clamp_user_ttl(ttl));
  auto ext = transport::default_user_extensions();
  if (!options.permit_agent_forwarding) ext.erase("permit-agent-forwarding");
  if (!options.permit_port_forwarding) ext.erase("permit-port-forwarding");
  for (const auto& [name, value] : options.extensions) ext[name] = value;
  t.extensions = std::move(ext);
  return sign(t, cas.user);
}

std::vector<std::string> host_principals(const host_cert_request& request,
                                         const std::string& cluster_name) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const std::string* name : {&request.host_id, &request.nodename}) {
    if (name->empty()) continue;
    add(*name);
    add(*name + "." + cluster_name);
  }
  for (const auto& p : request.extra_principals) add(p);
  return out;
}

tp::result<std::string> sign_host_certificate(const cluster_cas& cas,
                                              const transport::public_key& key,
                                              const host_cert_request& request, sys_time now) {
  if (key.empty()) return make_error("no public key to certify");
  for (const auto& p : request.extra_principals) {
    if (auto s = check_principal(p, "host name"); !s) return s.err();
  }
  for (const std::string* name : {&request.host_id, &request.nodename}) {
    if (!name->empty()) {
      if (auto s = check_principal(*name, "host name"); !s) return s.err();
    }
  }
  if (request.ttl && request.ttl->count() <= 0) {
    return make_error("a host certificate TTL must be positive");
  }
  transport::cert_template t;
  t.key = key;
  t.kind = transport::cert_type::host;
  t.serial = random_serial();
  t.principals = host_principals(request, cas.cluster_name);
  if (t.principals.empty()) return make_error("a host certificate needs at least one host name");
  t.key_id = request.host_id.empty() ? t.principals.front() : request.host_id;
  t.valid_after = epoch_seconds(now - cert_backdate);
  t.valid_before = request.ttl ? epoch_seconds(now + *request.ttl) : transport::k_cert_forever;
  return sign(t, cas.host);
}

namespace {

tp::result<key_files> files_for(const transport::key_pair& key, tp::result<std::string> cert,
                                std::string_view comment) {
  if (!cert) return cert.err();
  return key_files{transport::encode_openssh_private_key(key, comment),
                   key.pub().authorized_key(comment) + "\n", *cert + "\n"};
}

}  // namespace

tp::result<key_files> make_user_key_files(const cluster_cas& cas, const std::string& user,
                                          const std::vector<std::string>& logins,
                                          std::optional<seconds> ttl,
                                          const user_cert_options& options,
                                          transport::key_type type) {
  auto key = transport::key_pair::generate(type);
  if (!key) return make_error("cannot generate a key: " + key.message());
  return files_for(*key, sign_user_certificate(cas, key->pub(), user, logins, ttl, options), user);
}

tp::result<key_files> make_host_key_files(const cluster_cas& cas, const host_cert_request& request,
                                          transport::key_type type) {
  auto key = transport::key_pair::generate(type);
  if (!key) return make_error("cannot generate a key: " + key.message());
  auto cert = sign_host_certificate(cas, key->pub(), request);
  auto principals = host_principals(request, cas.cluster_name);
  return files_for(*key, std::move(cert), principals.empty() ? "" : principals.front());
}

std::vector<std::string> tls_host_names(const std::vector<std::string>& principals) {
  std::vector<std::string> hosts;
  for (const auto& p : principals) {
    if (p.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") ==
        std::string::npos) {
      hosts.push_back(p);
    }
  }
  return hosts;
}

}  // namespace tp::actors::auth
