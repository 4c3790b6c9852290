#include "actors/auth/ca_export.hpp"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include "tests/unit/actors/test_support.hpp"

#include "transport/x509_ca.hpp"

using namespace tp;
using namespace tp::actors::auth;

namespace {

using test::temp_dir;

const char* const fixed_key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKCkh5YL+3UtPCqg9/HB+5Xx6ePL5KHBXOwiDUUYQOF2";

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

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

// Runs a shell command (bounded by timeout(1)); returns its stdout and sets rc.
std::string run(const std::string& cmd, int& rc) {
  std::string out;
  FILE* f = ::popen(("timeout 20 " + cmd + " 2>/dev/null").c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int st = ::pclose(f);
  rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

}  // namespace

TEST_CASE("export type names", "[ca_export]") {
  CHECK(parse_export_type("") == export_type::all);
  CHECK(parse_export_type("user") == export_type::user);
  CHECK(parse_export_type("host") == export_type::host);
  CHECK(parse_export_type("tls") == export_type::tls);
  CHECK_FALSE(parse_export_type("USER"));
  CHECK_FALSE(parse_export_type("hosts"));
  CHECK_FALSE(parse_export_type(std::string_view("user\0", 5)));
}

TEST_CASE("export lines have the exact OpenSSH formats", "[ca_export]") {
  auto key = transport::public_key::from_authorized_key(fixed_key);
  REQUIRE(key);
  CHECK(known_hosts_line(*key, "example.com") ==
        "@cert-authority *.example.com ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIKCkh5YL+3UtPCqg9/HB+5Xx6ePL5KHBXOwiDUUYQOF2 type=host");
  CHECK(known_hosts_line(*key, "example.com", {.cluster_host = true}) ==
        "@cert-authority example.com,*.example.com ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIKCkh5YL+3UtPCqg9/HB+5Xx6ePL5KHBXOwiDUUYQOF2 type=host");
  CHECK(known_hosts_line(*key, "example.com", {.any_port = true}) ==
        "@cert-authority *.example.com,[*.example.com]:* ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIKCkh5YL+3UtPCqg9/HB+5Xx6ePL5KHBXOwiDUUYQOF2 type=host");
  CHECK(known_hosts_line(*key, "example.com", {.cluster_host = true, .any_port = true}) ==
        "@cert-authority example.com,*.example.com,[example.com]:*,[*.example.com]:* ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIKCkh5YL+3UtPCqg9/HB+5Xx6ePL5KHBXOwiDUUYQOF2 type=host");
  CHECK(authorized_keys_line(*key, "example.com") ==
        "cert-authority ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIKCkh5YL+3UtPCqg9/HB+5Xx6ePL5KHBXOwiDUUYQOF2 "
        "clustername=example.com");
}

TEST_CASE("tctl auth export output", "[ca_export]") {
  auto cas = make_cas();
  const std::string host = known_hosts_line(cas.host.pub(), "example.com") + "\n";
  const std::string user = authorized_keys_line(cas.user.pub(), "example.com") + "\n";
  auto all = export_authorities(cas, export_type::all);
  REQUIRE(all);
  CHECK(*all == host + user);
  auto h = export_authorities(cas, export_type::host);
  REQUIRE(h);
  CHECK(*h == host);
  auto u = export_authorities(cas, export_type::user);
  REQUIRE(u);
  CHECK(*u == user);
  auto t = export_authorities(cas, export_type::tls);
  REQUIRE(t);
  CHECK(t->rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
  CHECK(t->find("PRIVATE") == std::string::npos);
  auto cert = transport::x509_certificate::from_pem(*t);
  REQUIRE(cert);
  CHECK(*cert == cas.tls.cert);
  // Nothing secret in any export.
  for (const auto* s : {&*all, &*h, &*u}) CHECK(s->find("PRIVATE") == std::string::npos);

  // The pin is that of the TLS CA's key.
  const std::string pin = ca_pin(cas);
  CHECK(pin == transport::ca_pin(cas.tls.cert));
  CHECK(pin.size() == 7 + 64);
  auto normalized = transport::normalize_ca_pin(pin);
  REQUIRE(normalized);
  CHECK(*normalized == pin);
}

TEST_CASE("ssh-keygen reads the exported lines", "[ca_export]") {
  auto cas = make_cas();
  temp_dir dir;
  auto h = export_authorities(cas, export_type::host);
  REQUIRE(h);
  write(dir / "known_hosts", *h);
  const std::string kh = (dir / "known_hosts").string();
  int rc = 0;
  auto out = run("ssh-keygen -F database.example.com -f " + kh, rc);
  CHECK(rc == 0);
  CHECK(out.find("found: line 1 CA") != std::string::npos);
  run("ssh-keygen -F database.other.com -f " + kh, rc);
  CHECK(rc != 0);
  run("ssh-keygen -F example.com -f " + kh, rc);
  CHECK(rc != 0);  // the bare cluster name is only covered on request
  run("ssh-keygen -F '[database.example.com]:3022' -f " + kh, rc);
  CHECK(rc != 0);  // other ports are only covered on request
  auto wide = export_authorities(cas, export_type::host, {.cluster_host = true, .any_port = true});
  REQUIRE(wide);
  const std::string kh2 = (dir / "known_hosts2").string();
  write(kh2, *wide);
  for (const char* host : {"example.com", "database.example.com", "'[database.example.com]:3022'",
                           "'[example.com]:3023'"}) {
    run(std::string("ssh-keygen -F ") + host + " -f " + kh2, rc);
    CHECK(rc == 0);
  }
  for (const char* host : {"'[database.other.com]:3022'", "other.com", "example.com.evil.org"}) {
    run(std::string("ssh-keygen -F ") + host + " -f " + kh2, rc);
    CHECK(rc != 0);
  }

  // The user line as authorized_keys, and without its "cert-authority " marker as a
  // TrustedUserCAKeys file, both show the user CA's fingerprint.
  auto u = export_authorities(cas, export_type::user);
  REQUIRE(u);
  write(dir / "authorized_keys", *u);
  const std::string marker = "cert-authority ";
  REQUIRE(u->rfind(marker, 0) == 0);
  write(dir / "trusted_user_ca.pub", u->substr(marker.size()));
  for (const char* f : {"authorized_keys", "trusted_user_ca.pub"}) {
    out = run("ssh-keygen -l -f " + (dir / f).string(), rc);
    CHECK(rc == 0);
    CHECK(out.find(cas.user.pub().fingerprint()) != std::string::npos);
  }
  std::string comment;
  auto parsed = transport::public_key::from_authorized_key(
      u->substr(marker.size(), u->size() - marker.size() - 1), &comment);
  REQUIRE(parsed);
  CHECK(*parsed == cas.user.pub());
  CHECK(comment == "clustername=example.com");
}
