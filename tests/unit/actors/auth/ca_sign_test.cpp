#include "actors/auth/ca_sign.hpp"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include "tests/unit/actors/test_support.hpp"

#include "actors/auth/ca_export.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/x509_ca.hpp"

using namespace tp;
using namespace tp::actors::auth;
using namespace std::chrono_literals;

namespace {

using test::temp_dir;

cluster_cas make_cas() {
  cluster_cas cas;
  cas.cluster_name = "example.com";
  auto u = transport::key_pair::generate();
  auto h = transport::key_pair::generate();
  auto t = transport::create_ca("example.com");
  REQUIRE(u);
  REQUIRE(h);
  REQUIRE(t);
  cas.user = *u;
  cas.host = *h;
  cas.tls = *t;
  return cas;
}

std::string run(const std::string& cmd, int& rc) {
  std::string out;
  FILE* f = ::popen(("timeout 20 " + cmd + " 2>&1").c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int st = ::pclose(f);
  rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

// The user CA as a client of `tctl auth export --type=user` would get it.
std::string exported_user_ca_blob(const cluster_cas& cas) {
  auto line = export_authorities(cas, export_type::user);
  REQUIRE(line);
  const std::string marker = "cert-authority ";
  REQUIRE(line->rfind(marker, 0) == 0);
  auto key = transport::public_key::from_authorized_key(
      line->substr(marker.size(), line->size() - marker.size() - 1));
  REQUIRE(key);
  return key->blob();
}

const transport::sys_time fixed_now{std::chrono::seconds{1'700'000'000}};

transport::ssh_certificate user_cert(const cluster_cas& cas,
                                     std::optional<std::chrono::seconds> ttl,
                                     const user_cert_options& opts = {}) {
  auto key = transport::key_pair::generate();
  REQUIRE(key);
  auto line =
      sign_user_certificate(cas, key->pub(), "alice", {"root", "alice"}, ttl, opts, fixed_now);
  REQUIRE(line);
  auto cert = transport::parse_certificate_line(*line);
  REQUIRE(cert);
  CHECK(cert->key == key->pub());
  return *cert;
}

}  // namespace

TEST_CASE("user certificate TTLs are clamped to [1m, 30h]", "[ca_sign]") {
  CHECK(clamp_user_ttl(std::nullopt) == 23h);
  CHECK(clamp_user_ttl(0s) == 23h);
  CHECK(clamp_user_ttl(100h) == 30h);
  CHECK(clamp_user_ttl(10s) == 1min);
  CHECK(clamp_user_ttl(-5s) == 1min);
  CHECK(clamp_user_ttl(2h) == 2h);
  CHECK(clamp_user_ttl(30h) == 30h);
}

TEST_CASE("user certificates verify against the exported user CA", "[ca_sign]") {
  auto cas = make_cas();
  const std::uint64_t now = 1'700'000'000;
  auto cert = user_cert(cas, 2h);
  CHECK(cert.kind == transport::cert_type::user);
  CHECK(cert.key_id == "alice");
  CHECK(cert.principals == std::vector<std::string>{"root", "alice"});
  CHECK(cert.valid_after == now - 60);
  CHECK(cert.valid_before == now + 2 * 3600);
  CHECK(cert.extensions == transport::default_user_extensions());
  CHECK(cert.critical_options.empty());

  transport::verify_options opts;
  opts.trusted_ca_blobs = {exported_user_ca_blob(cas)};
  opts.principal = "root";
  opts.now = now;
  CHECK(transport::verify_certificate(cert, opts));
  opts.now = now - 59;  // backdated for clock skew
  CHECK(transport::verify_certificate(cert, opts));
  opts.now = now + 2 * 3600;  // expired
  CHECK_FALSE(transport::verify_certificate(cert, opts));
  opts.now = now;
  opts.principal = "bob";
  CHECK_FALSE(transport::verify_certificate(cert, opts));
  opts.principal = "root";
  opts.trusted_ca_blobs = {cas.host.pub().blob()};  // the host CA does not vouch for users
  CHECK_FALSE(transport::verify_certificate(cert, opts));
}

TEST_CASE("user certificate TTLs: default, too long, too short", "[ca_sign]") {
  auto cas = make_cas();
  const std::uint64_t now = 1'700'000'000;
  CHECK(user_cert(cas, std::nullopt).valid_before == now + 23 * 3600);
  CHECK(user_cert(cas, 100h).valid_before == now + 30 * 3600);
  CHECK(user_cert(cas, 10s).valid_before == now + 60);
}

TEST_CASE("role options remove forwarding extensions", "[ca_sign]") {
  auto cas = make_cas();
  user_cert_options o;
  o.permit_agent_forwarding = false;
  auto cert = user_cert(cas, 1h, o);
  CHECK(cert.extensions.count("permit-agent-forwarding") == 0);
  CHECK(cert.extensions.count("permit-port-forwarding") == 1);
  CHECK(cert.extensions.count("permit-pty") == 1);
  o.permit_port_forwarding = false;
  cert = user_cert(cas, 1h, o);
  CHECK(cert.extensions.count("permit-port-forwarding") == 0);
  CHECK(cert.extensions.count("permit-X11-forwarding") == 1);
  CHECK(cert.extensions.count("permit-user-rc") == 1);
}

TEST_CASE("bad user certificate requests are refused", "[ca_sign]") {
  auto cas = make_cas();
  auto key = transport::key_pair::generate();
  REQUIRE(key);
  auto no_logins = sign_user_certificate(cas, key->pub(), "alice", {});
  REQUIRE_FALSE(no_logins);
  CHECK(no_logins.message().find("no logins") != std::string::npos);
  CHECK_FALSE(sign_user_certificate(cas, key->pub(), "", {"root"}));
  CHECK_FALSE(sign_user_certificate(cas, key->pub(), "a/b", {"root"}));
  for (const char* bad : {"", "ro ot", "a,b", "x\ny"}) {
    auto r = sign_user_certificate(cas, key->pub(), "alice", {"root", bad});
    CHECK_FALSE(r);
  }
  CHECK_FALSE(sign_user_certificate(cas, transport::public_key{}, "alice", {"root"}));
}

TEST_CASE("ssh-keygen -L shows the signed user certificate", "[ca_sign]") {
  auto cas = make_cas();
  auto files = make_user_key_files(cas, "alice", {"root", "alice"}, 1h);
  REQUIRE(files);
  temp_dir dir;
  std::ofstream(dir / "id-cert.pub") << files->certificate;
  int rc = 0;
  auto out = run("ssh-keygen -L -f " + (dir / "id-cert.pub").string(), rc);
  CHECK(rc == 0);
  CHECK(out.find("Type: ssh-ed25519-cert-v01@openssh.com user certificate") != std::string::npos);
  CHECK(out.find("Key ID: \"alice\"") != std::string::npos);
  CHECK(out.find(cas.user.pub().fingerprint()) != std::string::npos);  // Signing CA
  auto p = out.find("Principals:");
  auto c = out.find("Critical Options:");
  REQUIRE(p != std::string::npos);
  REQUIRE(c != std::string::npos);
  const std::string principals = out.substr(p, c - p);
  CHECK(principals.find("\n                root\n") != std::string::npos);
  CHECK(principals.find("\n                alice\n") != std::string::npos);
  CHECK(out.find("permit-agent-forwarding") != std::string::npos);
}

TEST_CASE("key files hold a matching key, public line and certificate", "[ca_sign]") {
  auto cas = make_cas();
  auto files = make_user_key_files(cas, "alice", {"root"});
  REQUIRE(files);
  auto key = transport::parse_openssh_private_key(files->private_key);
  REQUIRE(key);
  REQUIRE(files->public_key.back() == '\n');
  auto pub = transport::public_key::from_authorized_key(
      files->public_key.substr(0, files->public_key.size() - 1));
  REQUIRE(pub);
  CHECK(*pub == key->pub());
  auto cert = transport::parse_certificate_line(files->certificate);
  REQUIRE(cert);
  CHECK(cert->key == key->pub());
  CHECK(cert->signature_key == cas.user.pub());
  CHECK_FALSE(make_user_key_files(cas, "alice", {}));
}

TEST_CASE("host certificates name the node in and out of the cluster", "[ca_sign]") {
  auto cas = make_cas();
  auto key = transport::key_pair::generate();
  REQUIRE(key);
  host_cert_request req;
  req.host_id = "5f1c-uuid";
  req.nodename = "db1";
  req.extra_principals = {"10.0.0.5", "db1", "db1.internal"};
  const std::vector<std::string> expected = {
      "5f1c-uuid", "5f1c-uuid.example.com", "db1", "db1.example.com", "10.0.0.5", "db1.internal"};
  CHECK(host_principals(req, "example.com") == expected);
  auto line = sign_host_certificate(cas, key->pub(), req, fixed_now);
  REQUIRE(line);
  auto cert = transport::parse_certificate_line(*line);
  REQUIRE(cert);
  CHECK(cert->kind == transport::cert_type::host);
  CHECK(cert->key_id == "5f1c-uuid");
  CHECK(cert->principals == expected);
  CHECK(cert->valid_after == 1'700'000'000 - 60);
  CHECK(cert->valid_before == transport::k_cert_forever);
  CHECK(cert->extensions.empty());

  transport::verify_options opts;
  opts.expected_kind = transport::cert_type::host;
  opts.trusted_ca_blobs = {cas.host.pub().blob()};
  opts.principal = "db1.example.com";
  CHECK(transport::verify_certificate(*cert, opts));
  opts.principal = "db2.example.com";
  CHECK_FALSE(transport::verify_certificate(*cert, opts));
  opts.principal = "db1.example.com";
  opts.trusted_ca_blobs = {cas.user.pub().blob()};
  CHECK_FALSE(transport::verify_certificate(*cert, opts));

  req.ttl = 1h;
  line = sign_host_certificate(cas, key->pub(), req, fixed_now);
  REQUIRE(line);
  cert = transport::parse_certificate_line(*line);
  REQUIRE(cert);
  CHECK(cert->valid_before == 1'700'000'000 + 3600);
}

TEST_CASE("tctl auth sign --host: the given names only, readable by ssh-keygen", "[ca_sign]") {
  auto cas = make_cas();
  host_cert_request req;
  req.extra_principals = {"node.example.com", "10.1.2.3"};
  auto files = make_host_key_files(cas, req);
  REQUIRE(files);
  auto cert = transport::parse_certificate_line(files->certificate);
  REQUIRE(cert);
  CHECK(cert->key_id == "node.example.com");
  CHECK(cert->principals == req.extra_principals);
  temp_dir dir;
  std::ofstream(dir / "key-cert.pub") << files->certificate;
  int rc = 0;
  auto out = run("ssh-keygen -L -f " + (dir / "key-cert.pub").string(), rc);
  CHECK(rc == 0);
  CHECK(out.find("host certificate") != std::string::npos);
  CHECK(out.find("Valid: after ") != std::string::npos);  // never expires
  CHECK(out.find("\n                node.example.com\n") != std::string::npos);
  CHECK(out.find("\n                10.1.2.3\n") != std::string::npos);
}

TEST_CASE("bad host certificate requests are refused", "[ca_sign]") {
  auto cas = make_cas();
  auto key = transport::key_pair::generate();
  REQUIRE(key);
  auto empty = sign_host_certificate(cas, key->pub(), host_cert_request{});
  REQUIRE_FALSE(empty);
  CHECK(empty.message().find("at least one host name") != std::string::npos);
  host_cert_request req;
  req.host_id = "id";
  req.extra_principals = {"bad host"};
  CHECK_FALSE(sign_host_certificate(cas, key->pub(), req));
  req.extra_principals = {""};
  CHECK_FALSE(sign_host_certificate(cas, key->pub(), req));
  req.extra_principals = {};
  req.nodename = "a\tb";
  CHECK_FALSE(sign_host_certificate(cas, key->pub(), req));
  req.nodename = "ok";
  req.ttl = 0s;
  CHECK_FALSE(sign_host_certificate(cas, key->pub(), req));
  req.ttl = std::nullopt;
  CHECK(sign_host_certificate(cas, key->pub(), req));
}
