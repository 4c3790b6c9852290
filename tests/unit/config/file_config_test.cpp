// teleport.yaml reading: the manual's sample, the production guide's settings,
// and every kind of bad input with its file:line:column.
#include "config/file_config.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include "config/load.hpp"

#include "test_files.hpp"

using namespace std::chrono_literals;
using namespace tp::config;
using strings = std::vector<std::string>;

namespace {

// The errors for `yaml`, read as if from a file named test.yaml.
strings errors_of(const std::string& yaml) {
  return check_config_text(yaml, "test.yaml").errors;
}

// The single error for `yaml`.
std::string error_of(const std::string& yaml) {
  auto errors = errors_of(yaml);
  INFO(yaml);
  REQUIRE(errors.size() == 1);
  return errors[0];
}

}  // namespace

TEST_CASE("the manual's sample teleport.yaml loads with its values", "[config][file]") {
  auto r = load_config_file(test::fixture("manual_sample.yaml"));
  INFO((r.ok() ? "" : r.message()));
  REQUIRE(r.ok());
  const teleport_config& c = *r;
  const auto& g = c.global;
  CHECK(g.nodename == "graviton");
  CHECK(g.data_dir == "/var/lib/teleport");
  CHECK(g.auth_token == "xxxx-token-xxxx");
  CHECK(g.advertise_ip == "10.1.0.5");
  CHECK(g.auth_servers == std::vector<address>{{"10.1.0.5", 3025}, {"10.1.0.6", 3025}});
  CHECK(g.limits.max_connections == 1000);
  CHECK(g.limits.max_users == 250);
  CHECK(g.log.output == log_output::to_stderr);
  CHECK(g.log.severity == log_severity::error);
  CHECK(g.storage.type == storage_type::embedded);
  CHECK(g.storage.type_name == "bolt");
  CHECK(g.ciphers == strings{"aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com",
                             "arcfour256", "arcfour128"});
  CHECK(g.kex_algos.size() == 6);
  CHECK(g.kex_algos.front() == "curve25519-sha256@libssh.org");
  CHECK(g.mac_algos ==
        strings{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256", "hmac-sha1", "hmac-sha1-96"});

  const auto& a = c.auth_service;
  CHECK(a.enabled);
  CHECK(a.cluster_name == "main");
  CHECK(a.authentication.type == auth_type::local);
  CHECK(a.authentication.second_factor == second_factor_type::otp);
  CHECK(a.authentication.u2f.app_id == "https://localhost:3080");
  CHECK(a.authentication.u2f.facets == strings{"https://localhost:3080"});
  CHECK(a.listen_addr == address{"0.0.0.0", 3025});
  REQUIRE(a.tokens.size() == 2);
  CHECK(a.tokens[0].roles == std::set<system_role>{system_role::proxy, system_role::node});
  CHECK(a.tokens[0].value == "xxxxx");
  CHECK(a.tokens[1].roles == std::set<system_role>{system_role::auth});
  CHECK(a.tokens[1].value == "yyyy");
  CHECK(a.session_recording == recording_mode::node);
  CHECK(a.license_file == "/var/lib/teleport/license.pem");

  const auto& s = c.ssh_service;
  CHECK(s.enabled);
  CHECK(s.listen_addr == address{"0.0.0.0", 3022});
  CHECK(s.labels == std::map<std::string, std::string>{{"role", "master"}, {"type", "postgres"}});
  REQUIRE(s.commands.size() == 1);
  CHECK(s.commands[0] == command_label{"arch", strings{"uname", "-p"}, 1h});
  CHECK_FALSE(s.permit_user_env);
  CHECK_FALSE(s.pam.enabled);
  CHECK(s.pam.service_name == "teleport");

  const auto& p = c.proxy_service;
  CHECK(p.enabled);
  CHECK(p.listen_addr == address{"0.0.0.0", 3023});
  CHECK(p.tunnel_listen_addr == address{"0.0.0.0", 3024});
  CHECK(p.web_listen_addr == address{"0.0.0.0", 3080});
  CHECK(p.public_addr == std::vector<address>{{"teleport-proxy.example.com", 3080}});
  CHECK(p.https_key_file == "/var/lib/teleport/webproxy_key.pem");
  CHECK(p.https_cert_file == "/var/lib/teleport/webproxy_cert.pem");
  CHECK(c.warnings.empty());
}

TEST_CASE("a production-guide configuration loads", "[config][file]") {
  auto r = load_config_file(test::fixture("production.yaml"));
  INFO((r.ok() ? "" : r.message()));
  REQUIRE(r.ok());
  const auto& g = r->global;
  CHECK(g.auth_token == "1ac590d36493acdaa2387bc1c492db1a");
  CHECK(g.ca_pin ==
        strings{"sha256:7e12c17c20d9cb504bbcb3f0236be3f446861f1396dcbb44425fe28ec1c108f1"});
  CHECK(g.auth_servers == std::vector<address>{{"10.12.0.6", 3025}});
  CHECK(g.storage.type == storage_type::etcd);
  CHECK(g.storage.etcd.peers == strings{"https://172.17.0.1:4001", "https://172.17.0.2:4001"});
  CHECK(g.storage.etcd.tls_ca_file == "/var/lib/teleport/etcd-ca.pem");
  CHECK(g.storage.etcd.prefix == "teleport");
  CHECK_FALSE(g.storage.etcd.insecure);
  CHECK_FALSE(r->auth_service.enabled);
  CHECK(r->ssh_service.public_addr == std::vector<address>{{"node-1.example.com", 3022}});
  const auto& p = r->proxy_service;
  CHECK(p.public_addr == std::vector<address>{{"proxy.example.com", 3080}});
  CHECK(p.ssh_public_addr ==
        std::vector<address>{{"proxy.example.com", 3023}, {"2001:db8::1", 2023}});
  CHECK(p.tunnel_public_addr == std::vector<address>{{"tunnel.example.com", 3024}});
  CHECK(p.https_key_file == "/var/lib/teleport/webproxy_key.pem");
  CHECK(p.https_cert_file == "/var/lib/teleport/webproxy_cert.pem");
}

TEST_CASE("DynamoDB storage, u2f, recording proxy mode and license path", "[config][file]") {
  auto r = load_config_file(test::fixture("dynamodb.yaml"));
  INFO((r.ok() ? "" : r.message()));
  REQUIRE(r.ok());
  const auto& s = r->global.storage;
  CHECK(s.type == storage_type::dynamodb);
  CHECK(s.dynamodb.region == "eu-west-1");
  CHECK(s.dynamodb.table_name == "teleport.state");
  CHECK(s.dynamodb.access_key == "BKZA3H2LOKJ1QJ3YF21A");
  CHECK(s.dynamodb.secret_key == "Oc20333k293SKwzraT3ah3Rv1G3/97POQb3eGziSZ");
  const auto& a = r->auth_service;
  CHECK(a.authentication.second_factor == second_factor_type::u2f);
  CHECK(a.authentication.u2f.facets == strings{"https://proxy.example.com:3080"});  // defaulted
  CHECK(a.session_recording == recording_mode::proxy);
  CHECK_FALSE(a.proxy_checks_host_keys);
  CHECK(a.license_file == "/var/lib/teleport/license/teleport.pem");  // relative to data_dir
  REQUIRE(a.tokens.size() == 1);
  CHECK(a.tokens[0].roles == std::set<system_role>{system_role::trusted_cluster});
}

TEST_CASE("the manual's PAM snippet (ssh_service under teleport:) is read, with a warning",
          "[config][file]") {
  auto report = check_config_file(test::fixture("manual_pam.yaml"));
  REQUIRE(report.ok());
  CHECK(report.config->ssh_service.pam.enabled);
  CHECK(report.config->ssh_service.pam.service_name == "sshd");
  REQUIRE(report.warnings.size() == 1);
  CHECK_THAT(report.warnings[0], Catch::Contains("manual_pam.yaml:2:4:") &&
                                     Catch::Contains("teleport.ssh_service: ssh_service belongs"));
  CHECK(report.config->warnings == report.warnings);
}

TEST_CASE("empty and comment-only files give the defaults", "[config][file]") {
  for (const char* text : {"", "# nothing\n", "---\n"}) {
    auto r = load_config_text(text, "test.yaml");
    REQUIRE(r.ok());
    CHECK(r->global.data_dir == "/var/lib/teleport");
    CHECK(r->ssh_service.listen_addr.port == 3022);
  }
}

TEST_CASE("unknown keys are rejected anywhere, with a suggestion", "[config][file][errors]") {
  CHECK(error_of("ssh_service:\n  listen_adr: 0.0.0.0:3022\n") ==
        "test.yaml:2:3: ssh_service.listen_adr: unknown key \"listen_adr\" (did you mean "
        "\"listen_addr\"?)");
  CHECK(
      error_of("teleport:\n  log:\n    severty: INFO\n") ==
      "test.yaml:3:5: teleport.log.severty: unknown key \"severty\" (did you mean \"severity\"?)");
  CHECK_THAT(error_of("auth_servce:\n  enabled: yes\n"),
             Catch::StartsWith("test.yaml:1:1: auth_servce: unknown key"));
  CHECK_THAT(error_of("ssh_service:\n  commands:\n  - name: a\n    command: [x]\n    period: 1m\n  "
                      "  perod: 2m\n"),
             Catch::StartsWith("test.yaml:6:5: ssh_service.commands[0].perod: unknown key"));
  CHECK_THAT(error_of("proxy_service:\n  zzzzzzzz: 1\n"),
             Catch::Contains("expected one of: enabled"));
}

TEST_CASE("values of the wrong shape are rejected", "[config][file][errors]") {
  CHECK(error_of("teleport:\n  log: stderr\n") ==
        "test.yaml:2:8: teleport.log: expected a mapping (key: value lines), got a single value");
  CHECK(error_of("teleport:\n  nodename: [a, b]\n") ==
        "test.yaml:2:3: teleport.nodename: expected a string, got a list");
  CHECK(error_of("teleport:\n  ciphers:\n    a: b\n") ==
        "test.yaml:2:3: teleport.ciphers: expected a list, got a mapping");
  CHECK(error_of("auth_service:\n  tokens: \"node:x\"\n") ==
        "test.yaml:2:11: auth_service.tokens: expected a list, got a single value");
  CHECK(error_of("- a\n- b\n") ==
        "test.yaml:1:1: expected a mapping (key: value lines), got a list");
  CHECK_THAT(error_of("ssh_service:\n  labels: [a]\n"),
             Catch::Contains("expected a mapping of label: value"));
  CHECK_THAT(error_of("ssh_service:\n  commands:\n  - x\n"),
             Catch::StartsWith("test.yaml:3:5: ssh_service.commands[0]: expected a mapping"));
  CHECK_THAT(error_of("teleport:\n  connection_limits:\n    max_users: lots\n"),
             Catch::StartsWith(
                 "test.yaml:3:16: teleport.connection_limits.max_users: invalid number \"lots\""));
}

TEST_CASE("bad values name the key and line", "[config][file][errors]") {
  CHECK(error_of("teleport:\n  nodename: x\nssh_service:\n  listen_addr: 0.0.0.0:99999\n") ==
        "test.yaml:4:16: ssh_service.listen_addr: invalid port \"99999\" (expected 1-65535)");
  CHECK_THAT(
      error_of("teleport:\n  auth_servers:\n    - 10.0.0.1:3025\n    - bad host\n"),
      Catch::StartsWith("test.yaml:4:7: teleport.auth_servers[1]: invalid address \"bad host\""));
  CHECK_THAT(
      error_of("ssh_service:\n  commands:\n  - name: a\n    command: [x]\n    period: 1x\n"),
      Catch::StartsWith("test.yaml:5:13: ssh_service.commands[0].period: invalid duration \"1x\""));
  CHECK_THAT(error_of("ssh_service:\n  enabled: maybe\n"),
             Catch::StartsWith("test.yaml:2:12: ssh_service.enabled: invalid boolean \"maybe\""));
  CHECK_THAT(error_of("ssh_service:\n  labels:\n    \"bad key\": x\n"),
             Catch::StartsWith("test.yaml:3:5: ssh_service.labels.bad key: invalid label name"));
  CHECK_THAT(error_of("auth_service:\n  tokens:\n  - \"nod:x\"\n"),
             Catch::StartsWith("test.yaml:3:5: auth_service.tokens[0]: unknown role \"nod\""));
  CHECK_THAT(
      error_of("teleport:\n  log:\n    severity: LOUD\n"),
      Catch::Contains("teleport.log.severity: invalid value \"LOUD\" (expected one of: debug"));
  CHECK_THAT(error_of("teleport:\n  storage:\n    type: mysql\n"),
             Catch::Contains("invalid storage type \"mysql\""));
  CHECK_THAT(error_of("auth_service:\n  authentication:\n    second_factor: sms\n"),
             Catch::StartsWith(
                 "test.yaml:3:20: auth_service.authentication.second_factor: invalid value"));
  CHECK_THAT(error_of("teleport:\n  storage:\n    type: bolt\n    peers: [\"https://a:1\"]\n"),
             Catch::StartsWith(
                 "test.yaml:4:5: teleport.storage.peers: only valid with storage type etcd"));
  CHECK_THAT(error_of("teleport:\n  ca_pin: sha256:abc\n"),
             Catch::StartsWith("test.yaml:2:11: teleport.ca_pin[0]: invalid CA pin"));
  CHECK_THAT(error_of("teleport:\n  nodename: x\n  nodename: y\n"),
             Catch::StartsWith("test.yaml:3:3: teleport.nodename: duplicate key"));
  CHECK_THAT(error_of("ssh_service:\n  commands:\n  - name: a\n    command: [x]\n"),
             Catch::StartsWith("test.yaml:3:5: ssh_service.commands[0]: missing \"period\""));
}

TEST_CASE("tab indentation is reported per line before parsing", "[config][file][errors]") {
  auto errors =
      errors_of("teleport:\n\tnodename: a\nssh_service:\n  \tenabled: yes\n# \tcomment is fine\n");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "test.yaml:2:1: tab character in indentation; YAML indents with spaces only");
  CHECK_THAT(errors[1], Catch::StartsWith("test.yaml:4:3: tab character"));
  // A tab after the indentation, inside a value, is fine.
  CHECK(errors_of("teleport:\n  nodename: \"a\tb\" # x\tz\n").size() ==
        1);  // bad node name, not a tab error
}

TEST_CASE("YAML syntax errors carry the parser's line", "[config][file][errors]") {
  CHECK_THAT(error_of("teleport:\n  nodename: a\n bad: [1, 2\n"),
             Catch::StartsWith("test.yaml:3:") && Catch::Contains("YAML syntax error"));
  CHECK_THAT(error_of("teleport:\n  nodename: a\n  - b\n"),
             Catch::StartsWith("test.yaml:3:") && Catch::Contains("YAML syntax error"));
  CHECK(error_of("a: 1\n---\nb: 2\n") ==
        "test.yaml:2:1: more than one YAML document (a '---' line); put everything in one");
  // A stray ',' at block level sends yaml-cpp 0.7's LoadAll into an endless loop.
  CHECK(error_of(", x\n") == "test.yaml:1:1: YAML syntax error: unexpected ','");
  CHECK_THAT(error_of("teleport:\n  ciphers:\n  - a\n, b\n"),
             Catch::StartsWith("test.yaml:4:1: YAML syntax error"));
  CHECK(error_of("[a], b\n") == "test.yaml:1:4: YAML syntax error: unexpected ','");
  CHECK_THAT(error_of(std::string("a: \0", 4)), Catch::Contains("NUL byte"));
  CHECK_THAT(error_of("a: " + std::string(100000, '[')),
             Catch::StartsWith("test.yaml:1:") && Catch::Contains("nesting too deep"));
  CHECK_THAT(error_of(std::string(2 * 1024 * 1024, '#')), Catch::Contains("larger than 1 MiB"));
}

TEST_CASE("all errors are collected, not just the first", "[config][file][errors]") {
  const std::string yaml =
      "teleport:\n"                                      // 1
      "  nodenam: x\n"                                   // 2 unknown key
      "  auth_servers: [\"a:1\", \"b:0\"]\n"             // 3 bad port
      "auth_service:\n"                                  // 4
      "  enabled: sometimes\n"                           // 5 bad boolean
      "  tokens: [\"node:/nonexistent/tp-token\"]\n"     // 6 token file missing (validation)
      "ssh_service:\n"                                   // 7
      "  commands:\n"                                    // 8
      "  - {name: k, command: [uname], period: soon}\n"  // 9 bad duration
      "proxy_service:\n"                                 // 10
      "  web_listen_addr: \"[::1\"\n";                   // 11 bad address
  auto errors = errors_of(yaml);
  REQUIRE(errors.size() == 6);
  CHECK_THAT(errors[0], Catch::StartsWith("test.yaml:2:3: teleport.nodenam: unknown key"));
  CHECK_THAT(errors[1],
             Catch::StartsWith("test.yaml:3:25: teleport.auth_servers[1]: invalid port \"0\""));
  CHECK_THAT(errors[2], Catch::StartsWith("test.yaml:5:12: auth_service.enabled: invalid boolean"));
  CHECK_THAT(errors[3],
             Catch::StartsWith("test.yaml:9:41: ssh_service.commands[0].period: invalid duration"));
  CHECK_THAT(errors[4],
             Catch::StartsWith("test.yaml:11:20: proxy_service.web_listen_addr: invalid address"));
  CHECK_THAT(errors[5],
             Catch::StartsWith("test.yaml:6:12: auth_service.tokens[0]: token file: cannot read "
                               "\"/nonexistent/tp-token\": No such file or directory"));
}

TEST_CASE("load_config_file and validate_config_file", "[config][file]") {
  test::scratch_dir dir;
  CHECK(validate_config_file(test::fixture("manual_sample.yaml")).empty());

  auto missing = load_config_file(dir.path("nope.yaml"));
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.message(),
             Catch::Contains("nope.yaml") && Catch::Contains("No such file or directory"));

  const auto path =
      dir.write("bad.yaml", "teleport:\n  nodename: [x]\nssh_service:\n  enabled: 2\n");
  auto errors = validate_config_file(path);
  REQUIRE(errors.size() == 2);
  CHECK_THAT(errors[0], Catch::StartsWith(path + ":2:3: teleport.nodename:"));
  CHECK_THAT(errors[1], Catch::StartsWith(path + ":4:12: ssh_service.enabled:"));
  auto r = load_config_file(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.message() == errors[0] + "\n" + errors[1]);
}

TEST_CASE("empty list items are errors, not silently dropped", "[config][file][errors]") {
  CHECK(error_of("auth_service:\n  tokens:\n  -\n") ==
        "test.yaml:2:3: auth_service.tokens[0]: empty token");
  CHECK_THAT(error_of("ssh_service:\n  commands:\n  -\n"),
             Catch::StartsWith("test.yaml:2:3: ssh_service.commands[0]: empty list item"));
  CHECK_THAT(error_of("ssh_service:\n  commands:\n  - {name: a, command: [], period: 1m}\n"),
             Catch::StartsWith("test.yaml:3:5: ssh_service.commands[0]: empty \"command\""));
}

TEST_CASE("later errors keep the right list index after a bad entry", "[config][file][errors]") {
  auto errors = errors_of("auth_service:\n  tokens: [\"nod:abc\", \"auth:/nonexistent/token\"]\n");
  REQUIRE(errors.size() == 2);
  CHECK_THAT(errors[0], Catch::StartsWith("test.yaml:2:12: auth_service.tokens[0]: unknown role"));
  CHECK_THAT(errors[1],
             Catch::StartsWith("test.yaml:2:23: auth_service.tokens[1]: token file: cannot read"));

  errors = errors_of(
      "ssh_service:\n  commands:\n  - x\n  - {name: a, command: [x], period: 1m}\n"
      "  - {name: a, command: [y], period: 1m}\n");
  REQUIRE(errors.size() == 2);
  CHECK_THAT(errors[0],
             Catch::StartsWith("test.yaml:3:5: ssh_service.commands[0]: expected a mapping"));
  CHECK_THAT(errors[1],
             Catch::StartsWith("test.yaml:5:12: ssh_service.commands[2].name: command label"));
}

TEST_CASE("one mistake gives one error, not a cascade", "[config][file][errors]") {
  // A bad storage type does not also flag the etcd keys; a bad auth server does
  // not also empty the list.
  CHECK_THAT(
      error_of("teleport:\n  storage:\n    type: etc\n    peers: [\"https://a:1\"]\n"),
      Catch::StartsWith("test.yaml:3:11: teleport.storage.type: invalid storage type \"etc\""));
  CHECK_THAT(error_of("teleport:\n  auth_servers: [\"a:0\"]\n"),
             Catch::StartsWith("test.yaml:2:18: teleport.auth_servers[0]: invalid port"));
  CHECK_THAT(error_of("teleport:\n  ciphers:\n  -\n  - aes128-ctr\n"),
             Catch::StartsWith("test.yaml:2:3: teleport.ciphers[0]: empty value"));
}

TEST_CASE("mangled configs never crash and either load or explain", "[config][file][errors]") {
  auto original = load_config_file(test::fixture("manual_sample.yaml"));
  REQUIRE(original.ok());
  std::string base;
  {
    std::ifstream in(test::fixture("manual_sample.yaml"));
    base.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string alphabet = ":-[]{}\"'\t\n #&*!%|>,?@`\\0azZ9.";
  std::uint64_t state = 42;
  auto next = [&](std::uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // fixed LCG: reproducible
    return (state >> 33) % bound;
  };
  int loaded = 0, rejected = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string text = base;
    const auto edits = 1 + next(4);
    for (std::uint64_t e = 0; e < edits; ++e) {
      const auto pos = next(text.size());
      switch (next(3)) {
        case 0:
          text.erase(pos, 1 + next(8));
          break;
        case 1:
          text.insert(pos, 1, alphabet[next(alphabet.size())]);
          break;
        default:
          text[pos] = alphabet[next(alphabet.size())];
          break;
      }
    }
    load_report report;
    REQUIRE_NOTHROW(report = check_config_text(text, "fuzz.yaml"));
    if (report.ok()) {
      REQUIRE(report.config.has_value());
      ++loaded;
    } else {
      REQUIRE_FALSE(report.config.has_value());
      for (const auto& e : report.errors)
        REQUIRE_THAT(e, Catch::StartsWith("fuzz.yaml") || Catch::StartsWith("too many"));
      ++rejected;
    }
  }
  CHECK(loaded > 0);
  CHECK(rejected > 0);
}

TEST_CASE("client_idle_timeout and disconnect_expired_cert", "[config][file]") {
  auto r = load_config_text(
      "auth_service:\n  client_idle_timeout: 30m\n  disconnect_expired_cert: yes\n", "test.yaml");
  REQUIRE(r.ok());
  CHECK(r->auth_service.client_idle_timeout == std::chrono::minutes(30));
  CHECK(r->auth_service.disconnect_expired_cert);
  auto never = load_config_text("auth_service:\n  client_idle_timeout: never\n", "test.yaml");
  REQUIRE(never.ok());
  CHECK(never->auth_service.client_idle_timeout.count() == 0);
  CHECK_FALSE(never->auth_service.disconnect_expired_cert);
  CHECK_THAT(
      error_of("auth_service:\n  client_idle_timeout: soon\n"),
      Catch::StartsWith("test.yaml:2:24: auth_service.client_idle_timeout: invalid duration"));
}
