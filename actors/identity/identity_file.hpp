// A host's (or tctl's) credentials for the cluster, kept in its data_dir as
// identity/<role>.json (0600, directory 0700): the TLS key and certificate for
// the control plane, the SSH host key and certificate, and the cluster's CA
// public keys. Written once when the host joins (or by auth for tctl's admin
// identity) and read on every later start.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "transport/x509_cert.hpp"

namespace tp::actors {

struct identity {
  std::string role;  // admin, node, proxy
  std::string host_id;
  std::string nodename;
  std::string cluster_name;
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_ca_pem;       // the active TLS CA first; during a CA rotation also the other one
  std::string ssh_private_key;  // openssh-key-v1 text; empty for admin
  std::string ssh_certificate;  // certificate line; empty for admin
  std::vector<std::string> user_ca_keys;
  std::vector<std::string> host_ca_keys;
};

// <data_dir>/identity/<role>.json
std::filesystem::path identity_path(const std::string& data_dir, const std::string& role);

// Creates the directory 0700 and writes the file 0600 atomically.
tp::status write_identity(const std::filesystem::path& path, const identity& id);
// Errors name the file and what is wrong with it.
tp::result<identity> read_identity(const std::filesystem::path& path);

// The TLS client credentials and the CA they trust.
struct tls_identity {
  transport::tls_credentials credentials;
  transport::x509_certificate ca;
  std::vector<transport::x509_certificate> also_trusted;  // the rest of tls_ca_pem
};
tp::result<tls_identity> tls_parts(const identity& id);

// <data_dir>/host_uuid: this host's ID, created on first use.
tp::result<std::string> load_or_create_host_id(const std::string& data_dir);

}  // namespace tp::actors
