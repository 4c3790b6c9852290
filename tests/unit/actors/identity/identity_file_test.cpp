#include "actors/identity/identity_file.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "actors/identity/secrets.hpp"
#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors;

namespace {

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("identities are stored 0600 in a 0700 directory and read back", "[identity]") {
  test::temp_dir dir;
  identity id;
  id.role = "node";
  id.host_id = "h-1";
  id.nodename = "luna";
  id.cluster_name = "example.test";
  id.tls_cert_pem = "CERT";
  id.tls_key_pem = "KEY";
  id.tls_ca_pem = "CA";
  id.ssh_private_key = "SSHKEY";
  id.ssh_certificate = "SSHCERT";
  id.user_ca_keys = {"ssh-ed25519 U"};
  id.host_ca_keys = {"ssh-ed25519 H"};
  const auto path = identity_path(dir.path().string(), "node");
  CHECK(path == dir.path() / "identity" / "node.json");
  REQUIRE(write_identity(path, id));
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(path.parent_path()) == 0700);
  auto back = read_identity(path);
  REQUIRE(back);
  CHECK(back->host_id == "h-1");
  CHECK(back->ssh_certificate == "SSHCERT");
  CHECK(back->host_ca_keys == id.host_ca_keys);
  // The PEM parts are checked when used: these are not certificates.
  CHECK_FALSE(tls_parts(*back));
}

TEST_CASE("unreadable identity files are errors naming the file", "[identity]") {
  test::temp_dir dir;
  const auto path = dir.path() / "node.json";
  CHECK_FALSE(read_identity(path));  // missing
  std::ofstream(path) << "{\"role\": \"node\"";
  auto bad = read_identity(path);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains(path.string()));
  std::ofstream(path, std::ios::trunc) << "{\"role\": 5}";
  CHECK_FALSE(read_identity(path));
}

TEST_CASE("the host ID is created once and kept", "[identity]") {
  test::temp_dir dir;
  auto first = load_or_create_host_id(dir.path().string());
  REQUIRE(first);
  CHECK(first->size() == 36);
  auto again = load_or_create_host_id(dir.path().string());
  REQUIRE(again);
  CHECK(*again == *first);
}

TEST_CASE("random ids, digests and constant-time comparison", "[identity]") {
  CHECK(random_uuid() != random_uuid());
  CHECK(random_uuid()[14] == '4');
  CHECK(random_hex().size() == 32);
  CHECK(random_hex(4).size() == 8);
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK(constant_time_equal("", ""));
}
