// tsh config: an ~/.ssh/config block so plain `ssh login@node.<cluster>` goes through
// the proxy with the tsh identity; tsh known-hosts: the KnownHostsCommand it names.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "apps/tsh/commands.hpp"
#include "apps/tsh/known_hosts.hpp"

namespace tp::apps::tsh {

namespace {

// OpenSSH runs KnownHostsCommand without a shell and wants an absolute program path.
std::string self_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("tsh") : p.string();
}

std::string config_word(const std::string& s) {
  if (s.find_first_of(" \t\"") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int cmd_config(const global_flags& g) {
  auto s = open_session(g);
  if (!s) return fail(s.message());
  const auto& p = s->prof;
  if (!is_safe_host_token(p.cluster))
    return fail("the cluster name is not usable as a host pattern");
  const ssh_identity id = s->identity();
  std::string khc = config_word(self_path()) + " known-hosts %H %p";
  if (const char* home = std::getenv("TELEPORT_HOME"); home != nullptr && *home != '\0') {
    // Keys and pins live under TELEPORT_HOME; ssh may run without it in its environment.
    khc = "/usr/bin/env " + config_word("TELEPORT_HOME=" + std::string(home)) + " " + khc;
  }
  // A recording proxy needs the agent (the manual's "ForwardAgent yes" on the
  // proxy connection); without the proxy at hand, assume it does not record.
  bool recording_proxy = false;
  if (auto nodes = fetch_nodes(*s)) {
    recording_proxy = std::any_of(nodes->begin(), nodes->end(),
                                  [](const node_info& n) { return n.recording_proxy; });
  }
  std::cout << "# Teleport cluster " << p.cluster << " through the proxy " << p.web_proxy_addr
            << " (written by tsh config; add it to ~/.ssh/config)\n";
  if (recording_proxy) {
    std::cout << "# The proxy records sessions: the ProxyCommand forwards your ssh-agent to it,\n"
              << "# which must hold the tsh certificate (tsh login adds it to a running agent).\n";
  }
  std::cout << "Host *." << p.cluster << " !" << p.ssh_host() << "\n"
            << "    UserKnownHostsFile " << ssh_option_path(id.known_hosts) << "\n"
            << "    KnownHostsCommand " << khc << "\n"
            << "    IdentityFile " << ssh_option_path(id.key) << "\n"
            << "    CertificateFile " << ssh_option_path(id.cert) << "\n"
            << "    IdentitiesOnly yes\n"
            << "    ProxyCommand " << proxy_command(id, s->hop(), "ssh", recording_proxy) << "\n";
  return 0;
}

int cmd_known_hosts(const global_flags& g, const std::string& host, const std::string& port_text) {
  std::uint16_t port = 22;
  if (!port_text.empty() && port_text != "NONE") {
    if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5 ||
        std::stoul(port_text) == 0 || std::stoul(port_text) > 65535) {
      return fail("invalid port \"" + port_text + "\"");
    }
    port = static_cast<std::uint16_t>(std::stoul(port_text));
  }
  auto lines = matching_entries(known_hosts_path(), host, port);
  if (!lines) return fail(lines.message());
  // The cluster's @cert-authority line matches every *.<cluster> name; only a plain key
  // line means the node itself is known.
  const bool node_known = std::any_of(lines->begin(), lines->end(),
                                      [](const std::string& l) { return l.rfind('@', 0) != 0; });
  if (!node_known && !host.empty() && host != "NONE") {
    // A node that joined after the last refresh: ask the proxy once. Errors stay quiet,
    // since ssh reports the unknown host key itself.
    if (auto s = open_session(g); s && check_not_expired(*s)) {
      if (refresh_nodes(*s)) {
        auto again = matching_entries(known_hosts_path(), host, port);
        if (again) lines = std::move(again);
      }
    }
  }
  for (const auto& l : *lines) std::cout << l << "\n";
  return 0;
}

}  // namespace tp::apps::tsh
