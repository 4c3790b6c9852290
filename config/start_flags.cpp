#include "config/start_flags.hpp"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>

#include "config/diagnostics.hpp"
#include "config/file_config.hpp"
#include "config/read_file.hpp"
#include "config/validate.hpp"
#include "config/values.hpp"

namespace tp::config {

void add_start_flags(CLI::App& app, start_flags& f) {
  app.add_flag("-d,--debug", f.debug, "Enable verbose logging to stderr");
  app.add_flag("--insecure-no-tls", f.insecure_no_tls, "Disable TLS for the web socket");
  app.add_flag("--insecure", f.insecure,
               "Accept self-signed HTTPS certificates (testing trusted clusters only)");
  app.add_option("-r,--roles", f.roles,
                 "Comma-separated list of roles to start with [proxy,node,auth]");
  app.add_option("--pid-file", f.pid_file,
                 "Full path to the PID file. By default no PID file will be created");
  app.add_option("--advertise-ip", f.advertise_ip,
                 "IP to advertise to clients if running behind NAT");
  app.add_option("-l,--listen-ip", f.listen_ip, "IP address to bind to [0.0.0.0]");
  app.add_option("--auth-server", f.auth_servers, "Address of the auth server [127.0.0.1:3025]")
      ->delimiter(',');
  app.add_option("--token", f.token, "Invitation token to join a cluster [none]");
  app.add_option("--ca-pin", f.ca_pins, "CA pin to validate the auth server (sha256:...)")
      ->delimiter(',');
  app.add_option("--nodename", f.nodename, "Name of this node, defaults to hostname");
  app.add_option("-c,--config", f.config_path,
                 "Path to a configuration file [" + std::string(default_config_path) + "]");
  app.add_option("--labels", f.labels, "List of labels for this node");
  app.add_flag("--permit-user-env", f.permit_user_env,
               "Enables reading of ~/.tsh/environment when creating a session");
  app.add_option("--diag-addr", f.diag_addr,
                 "Start the diagnostic endpoint (/metrics, /healthz, /readyz) on this address, "
                 "e.g. 127.0.0.1:3000");
}

namespace {

void record(origin_map& origins, const std::string& path, const char* flag) {
  origins[path] = origin{flag, 0, 0};
}

void apply_flags(const start_flags& f, teleport_config& cfg, origin_map& origins,
                 diagnostics& diag) {
  auto flag_error = [&](const char* flag, const std::string& message) {
    diag.error(origin{flag, 0, 0}, "", message);
  };
  auto& g = cfg.global;
  if (f.debug) {
    g.log.severity = log_severity::debug;
    g.log.output = log_output::to_stderr;
  }
  if (f.insecure) g.insecure = true;
  if (f.insecure_no_tls) cfg.proxy_service.insecure_no_tls = true;
  if (f.permit_user_env) cfg.ssh_service.permit_user_env = true;
  if (f.roles) {
    if (auto roles = parse_service_roles(*f.roles)) {
      cfg.auth_service.enabled = roles->count(system_role::auth) > 0;
      cfg.ssh_service.enabled = roles->count(system_role::node) > 0;
      cfg.proxy_service.enabled = roles->count(system_role::proxy) > 0;
      for (const char* p :
           {"auth_service.enabled", "ssh_service.enabled", "proxy_service.enabled"}) {
        record(origins, p, "--roles");
      }
    } else {
      flag_error("--roles", roles.message());
    }
  }
  if (f.pid_file) {
    g.pid_file = *f.pid_file;
    record(origins, "teleport.pid_file", "--pid-file");
  }
  if (f.advertise_ip) {
    g.advertise_ip = *f.advertise_ip;
    record(origins, "teleport.advertise_ip", "--advertise-ip");
  }
  if (f.nodename) {
    g.nodename = *f.nodename;
    record(origins, "teleport.nodename", "--nodename");
  }
  if (f.token) {
    g.auth_token = *f.token;
    g.auth_token_file.clear();
    record(origins, "teleport.auth_token", "--token");
  }
  if (!f.auth_servers.empty()) {
    std::vector<address> servers;
    bool all_good = true;
    for (const auto& s : f.auth_servers) {
      if (auto a = parse_address(trim(s), address_kind::auth)) {
        servers.push_back(std::move(*a));
      } else {
        flag_error("--auth-server", a.message());
        all_good = false;
      }
    }
    if (all_good) {  // a partial list would only cause follow-on errors
      g.auth_servers = std::move(servers);
      record(origins, "teleport.auth_servers", "--auth-server");
    }
  }
  if (!f.ca_pins.empty()) {
    g.ca_pin.clear();
    for (const auto& p : f.ca_pins) g.ca_pin.emplace_back(trim(p));
    record(origins, "teleport.ca_pin", "--ca-pin");
  }
  if (f.diag_addr) {
    auto a = parse_address(trim(*f.diag_addr), 0);
    if (!a) {
      flag_error("--diag-addr", a.message() + " (expected host:port, e.g. 127.0.0.1:3000)");
    } else {
      g.diag_addr = *a;
      record(origins, "teleport.diag_addr", "--diag-addr");
    }
  }
  if (f.listen_ip) {
    const std::string ip(trim(*f.listen_ip));
    if (!is_ip_literal(ip)) {
      flag_error("--listen-ip", "invalid IP address " + quote(ip));
    } else {
      for (address* a : {&cfg.auth_service.listen_addr, &cfg.ssh_service.listen_addr,
                         &cfg.proxy_service.listen_addr, &cfg.proxy_service.tunnel_listen_addr,
                         &cfg.proxy_service.web_listen_addr}) {
        a->host = ip;
      }
      for (const char* p :
           {"auth_service.listen_addr", "ssh_service.listen_addr", "proxy_service.listen_addr",
            "proxy_service.tunnel_listen_addr", "proxy_service.web_listen_addr"}) {
        record(origins, p, "--listen-ip");
      }
    }
  }
  if (f.labels) {
    if (auto spec = parse_labels_flag(*f.labels)) {
      auto& s = cfg.ssh_service;
      for (auto& [k, v] : spec->static_labels) {
        std::erase_if(s.commands, [&](const command_label& c) { return c.name == k; });
        s.labels[k] = v;
      }
      for (auto& c : spec->commands) {
        s.labels.erase(c.name);
        std::erase_if(s.commands, [&](const command_label& old) { return old.name == c.name; });
        s.commands.push_back(c);
      }
      record(origins, "ssh_service.labels", "--labels");
      record(origins, "ssh_service.commands", "--labels");
    } else {
      flag_error("--labels", spec.message());
    }
  }
}

}  // namespace

load_report build_config_report(const start_flags& flags) {
  teleport_config cfg;
  origin_map origins;
  diagnostics diag;
  const std::string path = flags.config_path.value_or(std::string(default_config_path));
  struct stat st {};
  const bool read_file =
      flags.config_path.has_value() || ::stat(path.c_str(), &st) == 0 || errno != ENOENT;
  if (read_file) {
    if (auto text = read_small_file(path, max_config_file_size)) {
      parse_config_yaml(*text, path, cfg, origins, diag);
    } else {
      diag.error(origin{flags.config_path ? "--config" : "", 0, 0}, "", text.message());
    }
  }
  apply_flags(flags, cfg, origins, diag);
  validate_config(cfg, origins, diag);
  load_report report;
  report.errors = diag.errors();
  report.warnings = diag.warnings();
  if (report.ok()) {
    cfg.warnings = report.warnings;
    report.config = std::move(cfg);
  }
  return report;
}

result<teleport_config> build_config(const start_flags& flags) {
  return to_result(build_config_report(flags));
}

}  // namespace tp::config
