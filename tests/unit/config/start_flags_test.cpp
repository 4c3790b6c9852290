// `teleport start` flags: registration with CLI11 and defaults <- file <- flags.
#include "config/start_flags.hpp"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <catch2/catch.hpp>

#include "test_files.hpp"

using namespace std::chrono_literals;
using namespace tp::config;

namespace {

// Parses `teleport start` arguments (without the program name), as a shell would pass them.
start_flags parse(std::vector<std::string> args) {
  CLI::App app{"teleport start"};
  start_flags flags;
  add_start_flags(app, flags);
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector last-first
  app.parse(args);
  return flags;
}

}  // namespace

TEST_CASE("every documented flag is registered", "[config][flags]") {
  auto f = parse({"-d",
                  "--insecure-no-tls",
                  "--insecure",
                  "-r",
                  "node,proxy",
                  "--pid-file",
                  "/run/t.pid",
                  "--advertise-ip",
                  "10.0.0.10",
                  "-l",
                  "10.0.0.2",
                  "--auth-server",
                  "10.0.10.5",
                  "--auth-server",
                  "10.0.10.6:4025",
                  "--token",
                  "secret",
                  "--nodename",
                  "luna",
                  "-c",
                  "/etc/t.yaml",
                  "--labels",
                  "env=prod",
                  "--permit-user-env",
                  "--ca-pin",
                  "sha256:7e12c17c20d9cb504bbcb3f0236be3f446861f1396dcbb44425fe28ec1c108f1"});
  CHECK(f.debug);
  CHECK(f.insecure_no_tls);
  CHECK(f.insecure);
  CHECK(f.roles == "node,proxy");
  CHECK(f.pid_file == "/run/t.pid");
  CHECK(f.advertise_ip == "10.0.0.10");
  CHECK(f.listen_ip == "10.0.0.2");
  CHECK(f.auth_servers == std::vector<std::string>{"10.0.10.5", "10.0.10.6:4025"});
  CHECK(f.token == "secret");
  CHECK(f.nodename == "luna");
  CHECK(f.config_path == "/etc/t.yaml");
  CHECK(f.labels == "env=prod");
  CHECK(f.permit_user_env);
  CHECK(f.ca_pins.size() == 1);

  auto g = parse(
      {"--roles=auth", "--config=/x.yaml", "--debug", "--listen-ip=::1", "--auth-server=a:1,b:2"});
  CHECK(g.roles == "auth");
  CHECK(g.config_path == "/x.yaml");
  CHECK(g.debug);
  CHECK(g.listen_ip == "::1");
  CHECK(g.auth_servers == std::vector<std::string>{"a:1", "b:2"});

  // The manual says --insecure-no-tls takes true or false.
  CHECK_FALSE(parse({"--insecure-no-tls=false"}).insecure_no_tls);
  CHECK(parse({"--insecure-no-tls=true"}).insecure_no_tls);

  auto none = parse({});
  CHECK_FALSE(none.config_path.has_value());
  CHECK_FALSE(none.roles.has_value());
  CHECK_FALSE(none.debug);
}

TEST_CASE("flags override the file", "[config][flags]") {
  test::scratch_dir dir;
  const auto path = dir.write("teleport.yaml",
                              "teleport:\n"
                              "  nodename: from-file\n"
                              "  auth_token: file-token\n"
                              "  auth_servers: [\"10.1.0.5:3025\"]\n"
                              "  log: {output: syslog, severity: WARN}\n"
                              "auth_service:\n"
                              "  enabled: yes\n"
                              "  listen_addr: 0.0.0.0:5025\n"
                              "ssh_service:\n"
                              "  listen_addr: 127.0.0.1:5022\n"
                              "  labels: {env: staging, role: db}\n"
                              "proxy_service:\n"
                              "  enabled: no\n"
                              "  web_listen_addr: 0.0.0.0:443\n");
  auto f = parse({"--config",
                  path,
                  "--nodename",
                  "luna",
                  "--roles",
                  "node,proxy",
                  "--token",
                  "flag-token",
                  "--auth-server",
                  "10.0.10.5",
                  "--listen-ip",
                  "10.0.0.2",
                  "-d",
                  "--labels",
                  "env=prod,kernel=[1h:\"uname -r\"]",
                  "--permit-user-env",
                  "--advertise-ip",
                  "10.0.0.10",
                  "--pid-file",
                  "/run/teleport.pid",
                  "--insecure-no-tls"});
  auto r = build_config(f);
  INFO((r.ok() ? "" : r.message()));
  REQUIRE(r.ok());
  const auto& c = *r;
  CHECK(c.global.nodename == "luna");
  CHECK(c.global.auth_token == "flag-token");
  CHECK(c.global.auth_servers == std::vector<address>{{"10.0.10.5", 3025}});
  CHECK(c.global.log.severity == log_severity::debug);
  CHECK(c.global.log.output == log_output::to_stderr);
  CHECK(c.global.advertise_ip == "10.0.0.10");
  CHECK(c.global.pid_file == "/run/teleport.pid");
  CHECK_FALSE(c.auth_service.enabled);  // --roles wins over `enabled: yes`
  CHECK(c.ssh_service.enabled);
  CHECK(c.proxy_service.enabled);  // and over `enabled: no`
  // --listen-ip replaces hosts, keeping the ports from the file or the defaults.
  CHECK(c.auth_service.listen_addr == address{"10.0.0.2", 5025});
  CHECK(c.ssh_service.listen_addr == address{"10.0.0.2", 5022});
  CHECK(c.proxy_service.listen_addr == address{"10.0.0.2", 3023});
  CHECK(c.proxy_service.tunnel_listen_addr == address{"10.0.0.2", 3024});
  CHECK(c.proxy_service.web_listen_addr == address{"10.0.0.2", 443});
  CHECK(c.ssh_service.labels ==
        std::map<std::string, std::string>{{"env", "prod"}, {"role", "db"}});
  REQUIRE(c.ssh_service.commands.size() == 1);
  CHECK(c.ssh_service.commands[0] == command_label{"kernel", {"uname", "-r"}, 1h});
  CHECK(c.ssh_service.permit_user_env);
  CHECK(c.proxy_service.insecure_no_tls);
}

TEST_CASE("without flags the file's values stand", "[config][flags]") {
  start_flags f;
  f.config_path = std::string(TP_SOURCE_DIR) + "/tests/data/config/manual_sample.yaml";
  auto r = build_config(f);
  REQUIRE(r.ok());
  CHECK(r->global.nodename == "graviton");
  CHECK(r->global.log.severity == log_severity::error);
  CHECK(r->auth_service.enabled);
  CHECK(r->proxy_service.public_addr == std::vector<address>{{"teleport-proxy.example.com", 3080}});
}

TEST_CASE("config path: explicit must exist, the default may be absent", "[config][flags]") {
  test::scratch_dir dir;
  start_flags explicit_missing;
  explicit_missing.config_path = dir.path("missing.yaml");
  auto r = build_config(explicit_missing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.message() ==
        "--config: cannot read \"" + dir.path("missing.yaml") + "\": No such file or directory");

  struct stat st {};
  if (::stat(std::string(default_config_path).c_str(), &st) != 0) {
    auto d = build_config(start_flags{});
    INFO((d.ok() ? "" : d.message()));
    REQUIRE(d.ok());
    CHECK(d->global.nodename == local_hostname());
    CHECK(d->auth_service.enabled);
    CHECK(d->ssh_service.enabled);
    CHECK(d->proxy_service.enabled);
  } else {
    WARN("/etc/teleport.yaml exists here; skipping the absent-default-config check");
  }
}

TEST_CASE("bad flag values are all reported", "[config][flags]") {
  test::scratch_dir dir;
  start_flags f;
  f.config_path = dir.write("t.yaml", "teleport:\n  nodename: x\n");
  f.roles = "node,ssh";
  f.auth_servers = {"10.0.0.1:99999"};
  f.listen_ip = "not-an-ip";
  f.labels = "kernel=[1h:\"uname -r\"";
  f.advertise_ip = "nat.example.com";
  f.ca_pins = {"sha256:abc"};
  f.nodename = "two words";
  auto report = build_config_report(f);
  CHECK_FALSE(report.ok());
  CHECK_FALSE(report.config.has_value());
  const std::vector<std::string> expected_prefixes = {
      "--roles: unknown role \"ssh\"",
      "--auth-server: invalid port \"99999\"",
      "--listen-ip: invalid IP address \"not-an-ip\"",
      "--labels: label \"kernel\": expected ']' after the quoted command",
      "--nodename: invalid node name \"two words\"",
      "--ca-pin: invalid CA pin \"sha256:abc\"",
      "--advertise-ip: invalid IP address \"nat.example.com\"",
  };
  INFO(join_lines(report.errors));
  REQUIRE(report.errors.size() == expected_prefixes.size());
  for (std::size_t i = 0; i < expected_prefixes.size(); ++i) {
    CHECK_THAT(report.errors[i], Catch::StartsWith(expected_prefixes[i]));
  }
}

TEST_CASE("flag --token may name a token file, a missing file is an error", "[config][flags]") {
  test::scratch_dir dir;
  const auto token = dir.write("tok", "from-file\n");
  ::chmod(token.c_str(), 0600);
  start_flags f;
  f.config_path = dir.write("t.yaml", "");
  f.token = token;
  auto r = build_config(f);
  REQUIRE(r.ok());
  CHECK(r->global.auth_token == "from-file");
  f.token = dir.path("nope");
  auto bad = build_config(f);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.message(), Catch::StartsWith("--token: token file: cannot read"));
}

TEST_CASE("flag --diag-addr", "[config][flags]") {
  test::scratch_dir dir;
  start_flags f;
  f.config_path = dir.write("t.yaml", "");
  auto none = build_config(f);
  REQUIRE(none.ok());
  CHECK_FALSE(none->global.diag_addr.has_value());
  f.diag_addr = "127.0.0.1:3000";
  auto r = build_config(f);
  REQUIRE(r.ok());
  REQUIRE(r->global.diag_addr.has_value());
  CHECK(*r->global.diag_addr == address{"127.0.0.1", 3000});
  for (const char* bad : {"127.0.0.1", "127.0.0.1:0x", "[::1"}) {
    INFO(bad);
    f.diag_addr = bad;
    auto report = build_config_report(f);
    REQUIRE(report.errors.size() == 1);
    CHECK_THAT(report.errors[0], Catch::StartsWith("--diag-addr: "));
  }
}
