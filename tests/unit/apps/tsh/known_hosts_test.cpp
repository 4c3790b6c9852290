#include "apps/tsh/known_hosts.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "transport/ssh_key.hpp"

using namespace tp::apps::tsh;
namespace fs = std::filesystem;

namespace {

std::string new_key() {
  return tp::transport::key_pair::generate(tp::transport::key_type::ed25519)
      ->pub()
      .authorized_key();
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string t = (fs::temp_directory_path() / "tsh-kh-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~temp_dir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("known_hosts names and entries") {
  CHECK(known_host_name("luna", 22) == "luna");
  CHECK(known_host_name("luna", 3022) == "[luna]:3022");
  const std::string key = new_key();

  auto proxy = proxy_entry("proxy.example.com", "proxy.example.com", 3023, key + " comment");
  REQUIRE(proxy);
  CHECK(*proxy == "[proxy.example.com]:3023 " + key + " tsh/proxy/proxy.example.com");
  CHECK_FALSE(proxy_entry("p", "p", 3023, "ssh-ed25519 AAAA"));

  auto ca = host_ca_entry("p", "example.test", key);
  REQUIRE(ca);
  CHECK(*ca == "@cert-authority *.example.test " + key + " tsh/ca/p");
  CHECK_FALSE(host_ca_entry("p", "*", key));  // would trust the CA for every host
  CHECK_FALSE(host_ca_entry("p", "a b", key));

  node_info n;
  n.hostname = "luna";
  n.id = "id-1";
  n.addr = "10.0.0.5:3022";
  n.host_key = key;
  CHECK(node_entry("p", "example.test", n) ==
        "luna,id-1,luna.example.test,[luna]:3022,[id-1]:3022,[luna.example.test]:3022 " + key +
            " tsh/node/p");
}

TEST_CASE("replace_entries keeps other proxies' and the user's lines") {
  temp_dir d;
  const fs::path f = d.path / "known_hosts";
  const std::string k1 = new_key(), k2 = new_key();
  {
    std::ofstream out(f);
    out << "# mine\nexample.org " << k1 << "\n";
  }
  REQUIRE(replace_entries(f, "a", "node", {"luna " + k1 + " tsh/node/a"}));
  REQUIRE(replace_entries(f, "b", "node", {"mars " + k2 + " tsh/node/b"}));
  REQUIRE(replace_entries(f, "a", "proxy", {"[a]:3023 " + k2 + " tsh/proxy/a"}));
  REQUIRE(replace_entries(f, "a", "node", {"venus " + k2 + " tsh/node/a"}));
  const std::string text = slurp(f);
  CHECK(text.find("# mine\nexample.org ") == 0);
  CHECK(text.find("luna ") == std::string::npos);
  CHECK(text.find("venus ") != std::string::npos);
  CHECK(text.find("mars ") != std::string::npos);
  CHECK(text.find("[a]:3023 ") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(f.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  REQUIRE(remove_entries(f, "a"));
  const std::string after = slurp(f);
  CHECK(after.find("venus ") == std::string::npos);
  CHECK(after.find("[a]:3023 ") == std::string::npos);
  CHECK(after.find("mars ") != std::string::npos);
  CHECK(after.find("example.org ") != std::string::npos);
}

TEST_CASE("matching_entries follows OpenSSH's host patterns") {
  temp_dir d;
  const fs::path f = d.path / "known_hosts";
  CHECK(matching_entries(f, "luna", 22)->empty());  // no file yet: nothing, no error
  const std::string k = new_key();
  {
    std::ofstream out(f);
    out << "# comment\n"
        << "luna,id-1,[luna]:3022 " << k << " tsh/node/p\n"
        << "@cert-authority *.example.test,!bad.example.test " << k << " tsh/ca/p\n"
        << "@revoked luna " << k << "\n"
        << "|1|hashed|name= " << k << "\n"
        << "garbage\n";
  }
  CHECK(matching_entries(f, "luna", 22)->size() == 1);
  CHECK(matching_entries(f, "LUNA", 3022)->size() == 1);
  CHECK(matching_entries(f, "luna", 2222)->empty());
  auto fqdn = matching_entries(f, "luna.example.test", 22);
  REQUIRE(fqdn->size() == 1);
  CHECK(fqdn->front().rfind("@cert-authority", 0) == 0);
  CHECK(matching_entries(f, "bad.example.test", 22)->empty());
  CHECK(matching_entries(f, "NONE", 0)->empty());
  {
    std::ofstream out(f, std::ios::app);
    out << "web-?? " << k << "\n";
  }
  CHECK(matching_entries(f, "web-01", 22)->size() == 1);
  CHECK(matching_entries(f, "web-001", 22)->empty());
}
