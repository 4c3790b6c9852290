#include "actors/identity/identity_file.hpp"

#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>

#include "actors/identity/secrets.hpp"
#include "transport/key_files.hpp"

namespace tp::actors {
namespace {

constexpr std::size_t max_identity_bytes = 1u << 20;

tp::status ensure_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return tp::make_error("cannot create " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) {
    return tp::make_error("cannot set mode 0700 on " + dir.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

std::filesystem::path identity_path(const std::string& data_dir, const std::string& role) {
  return std::filesystem::path(data_dir) / "identity" / (role + ".json");
}

tp::status write_identity(const std::filesystem::path& path, const identity& id) {
  if (auto st = ensure_dir(path.parent_path()); !st) return st;
  nlohmann::json j = {{"role", id.role},
                      {"host_id", id.host_id},
                      {"nodename", id.nodename},
                      {"cluster_name", id.cluster_name},
                      {"tls_cert", id.tls_cert_pem},
                      {"tls_key", id.tls_key_pem},
                      {"tls_ca", id.tls_ca_pem},
                      {"ssh_key", id.ssh_private_key},
                      {"ssh_cert", id.ssh_certificate},
                      {"user_ca_keys", id.user_ca_keys},
                      {"host_ca_keys", id.host_ca_keys}};
  return transport::write_file_atomically(path, j.dump(2) + "\n", 0600);
}

tp::result<identity> read_identity(const std::filesystem::path& path) {
  auto text = transport::read_small_file(path, max_identity_bytes);
  if (!text) return text.err();
  try {
    const auto j = nlohmann::json::parse(*text);
    identity id;
    id.role = j.at("role").get<std::string>();
    id.host_id = j.at("host_id").get<std::string>();
    id.nodename = j.value("nodename", "");
    id.cluster_name = j.at("cluster_name").get<std::string>();
    id.tls_cert_pem = j.at("tls_cert").get<std::string>();
    id.tls_key_pem = j.at("tls_key").get<std::string>();
    id.tls_ca_pem = j.at("tls_ca").get<std::string>();
    id.ssh_private_key = j.value("ssh_key", "");
    id.ssh_certificate = j.value("ssh_cert", "");
    id.user_ca_keys = j.value("user_ca_keys", std::vector<std::string>{});
    id.host_ca_keys = j.value("host_ca_keys", std::vector<std::string>{});
    return id;
  } catch (const std::exception& e) {
    return tp::make_error(path.string() + " is not a valid identity file: " + e.what());
  }
}

tp::result<tls_identity> tls_parts(const identity& id) {
  auto creds = transport::credentials_from_pem(id.tls_cert_pem, id.tls_key_pem);
  if (!creds) return tp::make_error("the identity's TLS certificate: " + creds.message());
  auto cas = transport::x509_certificate::chain_from_pem(id.tls_ca_pem);
  if (!cas) return tp::make_error("the identity's TLS CA: " + cas.message());
  if (cas->empty()) return tp::make_error("the identity's TLS CA: no certificate");
  for (const auto& c : *cas) {
    if (!c.is_ca()) return tp::make_error("the identity's TLS CA: a certificate is not a CA");
  }
  tls_identity out{std::move(*creds), std::move(cas->front()), {}};
  out.also_trusted.assign(std::make_move_iterator(cas->begin() + 1),
                          std::make_move_iterator(cas->end()));
  return out;
}

tp::result<std::string> load_or_create_host_id(const std::string& data_dir) {
  const auto path = std::filesystem::path(data_dir) / "host_uuid";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto text = transport::read_small_file(path, 256);
    if (!text) return text.err();
    std::string id = *text;
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r' || id.back() == ' '))
      id.pop_back();
    if (id.empty())
      return tp::make_error(path.string() + " is empty; delete it to get a new host ID");
    return id;
  }
  std::string id = random_uuid();
  if (auto st = transport::write_file_atomically(path, id + "\n", 0600); !st) return st.err();
  return id;
}

}  // namespace tp::actors
