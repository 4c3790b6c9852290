#include "actors/proxy/web_tls.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "transport/key_files.hpp"
#include "transport/x509_ca.hpp"

namespace tp::actors {

tp::result<std::pair<std::string, std::string>> load_or_create_web_tls(
    const config::teleport_config& cfg) {
  const auto& p = cfg.proxy_service;
  std::string cert_file = p.https_cert_file;
  std::string key_file = p.https_key_file;
  const bool generated = cert_file.empty();
  if (generated) {
    cert_file = cfg.global.data_dir + "/webproxy_cert.pem";
    key_file = cfg.global.data_dir + "/webproxy_key.pem";
  }
  std::error_code ec;
  if (!generated || std::filesystem::exists(cert_file, ec)) {
    auto cert = transport::read_small_file(cert_file, 1 << 20);
    if (!cert) return tp::make_error("https_cert_file: " + cert.message());
    auto key = transport::read_small_file(key_file, 1 << 20);
    if (!key) return tp::make_error("https_key_file: " + key.message());
    auto chain = transport::x509_certificate::chain_from_pem(*cert);
    if (!chain) return tp::make_error(cert_file + ": " + chain.message());
    auto pk = transport::x509_private_key::from_pem(*key);
    if (!pk) return tp::make_error(key_file + ": " + pk.message());
    if (auto st = transport::check_key_matches(chain->front(), *pk); !st) {
      return tp::make_error(cert_file + " and " + key_file + " do not belong together");
    }
    return std::make_pair(std::move(*cert), std::move(*key));
  }

  // Self-signed: a throwaway issuer and a server certificate for the names users reach.
  const auto now = std::chrono::system_clock::now();
  auto issuer = transport::create_ca("teleport-cpp self-signed " + cfg.global.nodename);
  if (!issuer) return issuer.err();
  transport::leaf_request req;
  req.name = cfg.global.nodename;
  req.roles = {"proxy"};
  req.hosts = {"localhost", "127.0.0.1", "::1"};
  auto add = [&](const std::string& h) {
    if (!h.empty() && h != "0.0.0.0" && h != "::" &&
        std::find(req.hosts.begin(), req.hosts.end(), h) == req.hosts.end()) {
      req.hosts.push_back(h);
    }
  };
  for (const auto& a : p.public_addr) add(a.host);
  add(p.web_listen_addr.host);
  add(cfg.global.advertise_ip);
  if (cfg.global.nodename.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") ==
      std::string::npos) {
    add(cfg.global.nodename);
  }
  req.not_before = now - std::chrono::minutes{1};
  req.not_after = now + std::chrono::hours{24 * 365};
  auto leaf = transport::issue_credentials(*issuer, req);
  if (!leaf) return leaf.err();
  auto leaf_pem = leaf->cert.to_pem();
  auto ca_pem = issuer->cert.to_pem();
  auto key_pem = leaf->key.to_pem();
  if (!leaf_pem || !ca_pem || !key_pem) return tp::make_error("encoding the HTTPS certificate");
  const std::string chain = *leaf_pem + *ca_pem;
  if (auto st = transport::write_file_atomically(key_file, *key_pem, 0600); !st) return st.err();
  if (auto st = transport::write_file_atomically(cert_file, chain, 0600); !st) return st.err();
  spdlog::warn(
      "proxy: no https_cert_file set; generated a self-signed certificate in {} "
      "(clients need --insecure)",
      cert_file);
  return std::make_pair(chain, std::move(*key_pem));
}

}  // namespace tp::actors
