// Where tsh keeps what a login leaves behind: one profile per proxy, the user's
// key and certificate, and the pinned host keys. Layout (TELEPORT_HOME, else ~/.tsh):
//   <home>/                       0700
//   <home>/<proxyhost>.json       the profile (see `profile`)
//   <home>/current-profile        the proxy host of the profile commands use by default
//   <home>/keys/<proxyhost>/<user>[.pub|-cert.pub]   key, public key, certificate (0600)
//   <home>/known_hosts            pinned proxy/node keys and the cluster's host CA
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::apps::tsh {

struct profile {
  std::string web_proxy_addr;  // host:port of the proxy's HTTPS listener
  std::string ssh_proxy_addr;  // host:port of the proxy's SSH listener
  std::string user;            // Teleport user name
  std::string cluster;
  bool insecure = false;       // the proxy's TLS certificate was not verified at login
  bool plain_http = false;     // the proxy was reached over http:// (--insecure-no-tls proxies)
  std::string proxy_host_key;  // "ssh-ed25519 AAAA...", pinned for the SSH listener

  // The proxy host name: names the profile and its key directory.
  std::string name() const;
  std::string web_host() const;
  std::string ssh_host() const;
  std::uint16_t ssh_port() const;
  // "https://host:3080"
  std::string url() const;
};

struct key_paths {
  std::filesystem::path dir;   // <home>/keys/<proxyhost>
  std::filesystem::path key;   // private key
  std::filesystem::path pub;   // <key>.pub
  std::filesystem::path cert;  // <key>-cert.pub (where ssh and ssh-add look for it)
};

// $TELEPORT_HOME, else $HOME/.tsh (HOME from the password database when unset).
std::filesystem::path tsh_home();
std::filesystem::path known_hosts_path();
key_paths keys_of(const profile& p);

// Creates the home directory (0700) and keys/<proxyhost> (0700); tightens them if they exist.
status ensure_dirs(const profile& p);

// Refuses names that could escape the key directory or confuse a file name.
status check_user_name(std::string_view user);
status check_profile_name(std::string_view name);

// Writes <home>/<name>.json (0600) and makes it the current profile.
status save_profile(const profile& p);
// Reads <home>/<name>.json; a clear error when it is missing or malformed.
result<profile> load_profile(std::string_view name);
// The profile named in current-profile; nullopt when nobody is logged in.
result<std::optional<profile>> load_current_profile();
// Deletes the profile's key files and its JSON, and current-profile if it names it.
status remove_profile(const profile& p);

}  // namespace tp::apps::tsh
