// The `teleport start` command line and how it combines with teleport.yaml:
// defaults <- file <- flags.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/load.hpp"
#include "messages/result.hpp"

namespace CLI {
class App;
}

namespace tp::config {

// Raw flag values; an unset optional/empty vector means "not given, keep the file's value".
struct start_flags {
  bool debug = false;                       // -d, --debug
  bool insecure_no_tls = false;             // --insecure-no-tls
  bool insecure = false;                    // --insecure
  bool permit_user_env = false;             // --permit-user-env
  std::optional<std::string> roles;         // -r, --roles  "auth,node,proxy"
  std::optional<std::string> pid_file;      // --pid-file
  std::optional<std::string> advertise_ip;  // --advertise-ip
  std::optional<std::string> listen_ip;     // -l, --listen-ip
  std::vector<std::string> auth_servers;    // --auth-server (repeatable, or comma-separated)
  std::optional<std::string> token;         // --token  (a value, or a /path to a file)
  std::optional<std::string> nodename;      // --nodename
  std::optional<std::string> config_path;   // -c, --config; unset = /etc/teleport.yaml if it exists
  std::optional<std::string> labels;        // --labels  env=prod,kernel=[1h:"uname -r"]
  std::vector<std::string> ca_pins;         // --ca-pin (repeatable, or comma-separated)
  std::optional<std::string> diag_addr;     // --diag-addr 127.0.0.1:3000
};

// Registers every flag of `teleport start` on `app` (usually the "start" subcommand),
// storing into `flags`, which must outlive the parse.
void add_start_flags(CLI::App& app, start_flags& flags);

// Defaults, then the config file (an explicit --config must exist; the default
// path may be absent), then the flags on top: --roles replaces the `enabled` keys,
// --listen-ip replaces the host of every listen address, -d sets DEBUG severity on
// stderr, --labels adds to (and overrides same-named) file labels, --auth-server
// and --ca-pin replace the file's lists. Then full validation. Collects every error.
load_report build_config_report(const start_flags& flags);

// The same as a result; the error message lists all errors, one per line.
result<teleport_config> build_config(const start_flags& flags);

}  // namespace tp::config
