// Running OpenSSH for tsh. Design: tsh does the login (HTTPS), stores keys and
// profiles, pins host keys and lists nodes; every SSH session is the system's
// OpenSSH client (`ssh`, `scp`, `ssh-add`) run by exec. So terminals, window
// changes, `~.` escapes, -L/-A forwarding and scp behave exactly as in OpenSSH,
// and tsh carries no SSH protocol code of its own.
//
// Every ssh call ignores the user's ~/.ssh/config (-F /dev/null), offers only the
// tsh key and certificate, and trusts only ~/.tsh/known_hosts. Nodes are reached
// through the proxy's "proxy:%h:%p" subsystem from a ProxyCommand that runs a
// second ssh with the same identity.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"

namespace tp::apps::tsh {

struct ssh_identity {
  std::filesystem::path key;
  std::filesystem::path cert;
  std::filesystem::path known_hosts;
};

struct proxy_hop {
  std::string host;
  std::uint16_t port = 3023;
  std::string cluster;  // a leaf (trusted) cluster reached through this proxy; "" = its own
};

// A file name as the value of an ssh option: '%' doubled (ssh expands tokens in file
// options) and double quotes around names with blanks.
std::string ssh_option_path(const std::filesystem::path& p);
// POSIX shell single quoting (no quotes for plain words).
std::string shell_quote(std::string_view s);

// -F /dev/null, the identity, IdentitiesOnly, the pinned known_hosts and strict checking.
std::vector<std::string> identity_options(const ssh_identity& id);
// The value of ProxyCommand: an ssh to the proxy with the same identity asking for the
// "proxy:%h:%p" subsystem. `ssh_program` is run by the shell ssh starts.
// `forward_agent`: a recording proxy needs the agent (see with_private_agent).
std::string proxy_command(const ssh_identity& id, const proxy_hop& proxy,
                          std::string_view ssh_program = "ssh", bool forward_agent = false);
// identity_options plus "-o ProxyCommand=...".
std::vector<std::string> node_options(const ssh_identity& id, const proxy_hop& proxy,
                                      bool forward_agent = false);
// ssh's argv to reach the proxy itself, before the subsystem or command.
std::vector<std::string> proxy_ssh_argv(const ssh_identity& id, const proxy_hop& proxy,
                                        const std::string& login, bool forward_agent = false);
// argv run under a private ssh-agent that holds only the tsh key and certificate:
// what a recording proxy gets to use (and nothing else of the user's agent).
std::vector<std::string> with_private_agent(const ssh_identity& id,
                                            const std::vector<std::string>& argv);

// Replaces this process with argv[0] (looked up in PATH). Returns only on failure.
status exec_program(const std::vector<std::string>& argv);

struct captured {
  int exit_code = 0;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};
// Runs argv with stdin from /dev/null and collects its output; kills it and fails after
// `timeout` or when it writes more than `max_output` bytes.
result<captured> run_captured(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout, std::size_t max_output);
// Runs argv with stdin from /dev/null, copying its stdout and stderr to ours with
// `prefix` before every line. Returns its exit code.
result<int> run_prefixed(const std::vector<std::string>& argv, const std::string& prefix);

}  // namespace tp::apps::tsh
