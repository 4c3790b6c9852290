// ~/.tsh/known_hosts: the host keys tsh pins for OpenSSH. Each line tsh writes ends
// with a comment "tsh/<kind>/<proxy host>" (kind: proxy, ca, node), so a refresh
// replaces exactly the lines of one kind for one proxy and keeps everything else.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "apps/tsh/nodes.hpp"
#include "messages/result.hpp"

namespace tp::apps::tsh {

// "host" for port 22, "[host]:port" otherwise: how OpenSSH names a host in known_hosts.
std::string known_host_name(std::string_view host, std::uint16_t port);

// "[proxyhost]:<port> <key> tsh/proxy/<name>"; errors on a malformed key.
result<std::string> proxy_entry(std::string_view proxy_name, std::string_view ssh_host,
                                std::uint16_t ssh_port, std::string_view host_key);
// "@cert-authority *.<cluster> <key> tsh/ca/<name>"; errors on a bad cluster name or key.
result<std::string> host_ca_entry(std::string_view proxy_name, std::string_view cluster,
                                  std::string_view ca_key);
// "<hostname>,<id>,<hostname>.<cluster>,[<hostname>]:<port>,[<id>]:<port>,... <key>
// tsh/node/<name>"
// `kind` tags the line: "node" for the proxy's own cluster, "node@<leaf>" for a leaf's.
std::string node_entry(std::string_view proxy_name, std::string_view cluster, const node_info& n,
                       std::string_view kind = "node");

// Replaces the lines of `kind` written for `proxy_name` with `lines` (0600, atomically).
status replace_entries(const std::filesystem::path& file, std::string_view proxy_name,
                       std::string_view kind, const std::vector<std::string>& lines);
// Drops every line written for `proxy_name`.
status remove_entries(const std::filesystem::path& file, std::string_view proxy_name);

// The lines whose host patterns match `host` on `port` (what `tsh known-hosts` prints).
result<std::vector<std::string>> matching_entries(const std::filesystem::path& file,
                                                  std::string_view host, std::uint16_t port);

}  // namespace tp::apps::tsh
