// Whole-config checks that run after the file and flags are applied.
#include "config/validate.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "config/load.hpp"
#include "test_files.hpp"

using namespace tp::config;
using strings = std::vector<std::string>;

namespace {
strings errors_of(const std::string& yaml) {
  return check_config_text(yaml, "v.yaml").errors;
}
}  // namespace

TEST_CASE("defaults: ports, data_dir, roles, nodename, cert TTLs", "[config][validate]") {
  auto r = load_config_text("", "v.yaml");
  REQUIRE(r.ok());
  const auto& c = *r;
  CHECK(c.global.nodename == local_hostname());
  CHECK_FALSE(c.global.nodename.empty());
  CHECK(c.global.data_dir == "/var/lib/teleport");
  CHECK(c.global.auth_servers == std::vector<address>{{"127.0.0.1", 3025}});
  CHECK(c.global.log.severity == log_severity::error);
  CHECK(c.global.storage.type == storage_type::embedded);
  CHECK(c.auth_service.enabled);
  CHECK(c.ssh_service.enabled);
  CHECK(c.proxy_service.enabled);
  CHECK(c.auth_service.listen_addr == address{"0.0.0.0", 3025});
  CHECK(c.ssh_service.listen_addr == address{"0.0.0.0", 3022});
  CHECK(c.proxy_service.listen_addr == address{"0.0.0.0", 3023});
  CHECK(c.proxy_service.tunnel_listen_addr == address{"0.0.0.0", 3024});
  CHECK(c.proxy_service.web_listen_addr == address{"0.0.0.0", 3080});
  CHECK(c.auth_service.authentication.second_factor == second_factor_type::otp);
  CHECK(c.auth_service.session_recording == recording_mode::node);
  CHECK(c.auth_service.license_file == "/var/lib/teleport/license.pem");
  CHECK(c.ssh_service.pam.service_name == "teleport");
  CHECK(default_user_cert_ttl == std::chrono::hours{23});
  CHECK(min_user_cert_ttl == std::chrono::minutes{1});
  CHECK(max_user_cert_ttl == std::chrono::hours{30});
}

TEST_CASE("token files are read at validation, with clear errors", "[config][validate]") {
  test::scratch_dir dir;
  const auto token = dir.write("token", "file-secret\n");
  ::chmod(token.c_str(), 0600);
  auto r = load_config_text(
      "auth_service:\n  tokens:\n  - \"auth:" + token + "\"\n  - node:inline\n", "v.yaml");
  INFO((r.ok() ? "" : r.message()));
  REQUIRE(r.ok());
  REQUIRE(r->auth_service.tokens.size() == 2);
  CHECK(r->auth_service.tokens[0].file == token);
  CHECK(r->auth_service.tokens[0].value == "file-secret");
  CHECK(r->auth_service.tokens[1].value == "inline");
  CHECK(r->warnings.empty());

  ::chmod(token.c_str(), 0644);
  auto report = check_config_text("auth_service:\n  tokens: [\"auth:" + token + "\"]\n", "v.yaml");
  REQUIRE(report.ok());
  REQUIRE(report.warnings.size() == 1);
  CHECK_THAT(report.warnings[0], Catch::Contains("readable by every user"));

  auto errors = errors_of(
      "auth_service:\n  tokens:\n  - node:abc\n  - \"proxy:" + dir.path("missing") + "\"\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "v.yaml:4:5: auth_service.tokens[1]: token file: cannot read \"" +
                         dir.path("missing") + "\": No such file or directory");

  errors = errors_of("auth_service:\n  tokens: [\"node:" + dir.write("empty", "") + "\"]\n");
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::StartsWith("v.yaml:2:12: auth_service.tokens[0]: token file") &&
                            Catch::Contains("is empty"));
}

TEST_CASE("auth_token may name a file too", "[config][validate]") {
  test::scratch_dir dir;
  const auto token = dir.write("join", "join-secret\n");
  ::chmod(token.c_str(), 0600);
  auto r = load_config_text("teleport:\n  auth_token: " + token + "\n", "v.yaml");
  REQUIRE(r.ok());
  CHECK(r->global.auth_token == "join-secret");
  CHECK(r->global.auth_token_file == token);
  auto errors = errors_of("teleport:\n  auth_token: /nonexistent/join\n");
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0],
             Catch::StartsWith("v.yaml:2:15: teleport.auth_token: token file: cannot read"));
}

TEST_CASE("cross-field checks", "[config][validate]") {
  struct bad_case {
    std::string yaml;
    std::string message;
  };
  for (const auto& [yaml, message] : {
           bad_case{"auth_service: {enabled: no}\nssh_service: {enabled: no}\nproxy_service: "
                    "{enabled: no}\n",
                    "no service is enabled"},
           bad_case{"teleport:\n  storage:\n    type: etcd\n",
                    "v.yaml:2:3: teleport.storage: storage type etcd needs \"peers\""},
           bad_case{
               "teleport:\n  storage:\n    type: etcd\n    peers: [\"https://10.0.0.1:2379\"]\n",
               "etcd over https needs a client certificate"},
           bad_case{"teleport:\n  storage:\n    type: etcd\n    peers: [\"10.0.0.1:2379\"]\n",
                    "v.yaml:4:13: teleport.storage.peers[0]: invalid etcd peer"},
           bad_case{"teleport:\n  storage:\n    type: etcd\n    peers: [\"http://a:1\"]\n    "
                    "tls_cert_file: /c\n",
                    "tls_cert_file and tls_key_file must be given together"},
           bad_case{"teleport:\n  storage:\n    type: dynamodb\n    region: x\n",
                    "needs \"table_name\""},
           bad_case{"teleport:\n  storage:\n    type: dynamodb\n    region: x\n    table_name: "
                    "\"a/b\"\n",
                    "invalid DynamoDB table name \"a/b\""},
           bad_case{"teleport:\n  storage:\n    type: dynamodb\n    region: x\n    table_name: "
                    "t.state\n    endpoint: 127.0.0.1:8000\n",
                    "the DynamoDB endpoint must be an http:// or https:// URL"},
           bad_case{"auth_service:\n  authentication:\n    second_factor: u2f\n",
                    "needs u2f.app_id"},
           bad_case{"proxy_service:\n  https_key_file: /k\n",
                    "v.yaml:2:19: proxy_service.https_key_file: https_key_file and https_cert_file "
                    "must be given together"},
           bad_case{"teleport:\n  advertise_ip: foo.example.com\n",
                    "v.yaml:2:17: teleport.advertise_ip: invalid IP address"},
           bad_case{"teleport:\n  nodename: \"a b\"\n", "invalid node name"},
           bad_case{"teleport:\n  auth_servers: []\n", "must list at least one auth server"},
           bad_case{"auth_service:\n  cluster_name: \"my cluster\"\n", "invalid cluster name"},
           bad_case{"ssh_service:\n  listen_addr: 0.0.0.0:3025\n",
                    "v.yaml:2:16: ssh_service.listen_addr: address 0.0.0.0:3025 is already used by "
                    "auth_service.listen_addr"},
           bad_case{"ssh_service:\n  labels: {a: b}\n  commands: [{name: a, command: [x], period: "
                    "1m}]\n",
                    "clashes with a static label"},
           bad_case{
               "ssh_service:\n  commands:\n  - {name: a, command: [x], period: 1m}\n  - {name: a, "
               "command: [y], period: 1m}\n",
               "v.yaml:4:12: ssh_service.commands[1].name: command label \"a\" is defined twice"},
           bad_case{"ssh_service:\n  commands: [{name: a, command: [x], period: 10ms}]\n",
                    "period must be at least 1s"},
           bad_case{"ssh_service:\n  pam: {enabled: yes, service_name: ../x}\n",
                    "invalid PAM service name"},
       }) {
    INFO(yaml);
    auto errors = errors_of(yaml);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains(message));
  }
}

TEST_CASE("joining without a CA pin is allowed but warned about", "[config][validate]") {
  auto report =
      check_config_text("teleport:\n  auth_token: abc\nauth_service:\n  enabled: no\n", "v.yaml");
  REQUIRE(report.ok());
  REQUIRE(report.warnings.size() == 1);
  CHECK_THAT(report.warnings[0], Catch::Contains("without a CA pin"));
}

TEST_CASE("value checkers", "[config][validate]") {
  CHECK(
      check_ca_pin("sha256:7e12c17c20d9cb504bbcb3f0236be3f446861f1396dcbb44425fe28ec1c108f1").ok());
  CHECK_FALSE(check_ca_pin("sha1:7e12").ok());
  CHECK_FALSE(
      check_ca_pin("sha256:7e12c17c20d9cb504bbcb3f0236be3f446861f1396dcbb44425fe28ec1c108fZ").ok());
  CHECK(check_peer_url("https://172.17.0.1:4001").ok());
  CHECK(check_peer_url("http://etcd.local/").ok());
  CHECK_FALSE(check_peer_url("https://a:1/path").ok());
  CHECK_FALSE(check_peer_url("ftp://a:1").ok());
  CHECK(check_nodename("graviton").ok());
  CHECK_FALSE(check_nodename("").ok());
  CHECK_FALSE(check_nodename("a/b").ok());
}
