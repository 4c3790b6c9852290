#include "apps/tsh/profile.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

using namespace tp::apps::tsh;
namespace fs = std::filesystem;

namespace {

// Points TELEPORT_HOME at a fresh directory for one test.
struct temp_home {
  fs::path base, home;
  temp_home() {
    std::string t = (fs::temp_directory_path() / "tsh-home-XXXXXX").string();
    base = ::mkdtemp(t.data());
    home = base / "tsh";
    ::setenv("TELEPORT_HOME", home.c_str(), 1);
  }
  ~temp_home() {
    ::unsetenv("TELEPORT_HOME");
    fs::remove_all(base);
  }
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

profile sample() {
  profile p;
  p.web_proxy_addr = "proxy.example.com:3080";
  p.ssh_proxy_addr = "proxy.example.com:3023";
  p.user = "joe";
  p.cluster = "example.test";
  p.proxy_host_key = "ssh-ed25519 AAAA";
  return p;
}

}  // namespace

TEST_CASE("profile addresses") {
  profile p = sample();
  CHECK(p.name() == "proxy.example.com");
  CHECK(p.ssh_port() == 3023);
  CHECK(p.url() == "https://proxy.example.com:3080");
  p.plain_http = true;
  CHECK(p.url() == "http://proxy.example.com:3080");
}

TEST_CASE("home: TELEPORT_HOME, else HOME/.tsh") {
  temp_home t;
  CHECK(tsh_home() == t.home);
  CHECK(keys_of(sample()).cert == t.home / "keys" / "proxy.example.com" / "joe-cert.pub");
  ::unsetenv("TELEPORT_HOME");
  const char* old = std::getenv("HOME");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("HOME", "/somewhere", 1);
  CHECK(tsh_home() == fs::path("/somewhere/.tsh"));
  ::setenv("HOME", saved.c_str(), 1);
}

TEST_CASE("save, load, current profile and remove") {
  temp_home t;
  auto none = load_current_profile();
  REQUIRE(none);
  CHECK_FALSE(*none);

  const profile p = sample();
  REQUIRE(save_profile(p));
  CHECK(mode_of(t.home) == 0700);
  CHECK(mode_of(t.home / "keys" / "proxy.example.com") == 0700);
  CHECK(mode_of(t.home / "proxy.example.com.json") == 0600);
  auto cur = load_current_profile();
  REQUIRE(cur);
  REQUIRE(*cur);
  CHECK((*cur)->user == "joe");
  CHECK((*cur)->cluster == "example.test");
  CHECK((*cur)->ssh_proxy_addr == "proxy.example.com:3023");

  std::ofstream(keys_of(p).cert) << "x\n";
  REQUIRE(remove_profile(p));
  CHECK_FALSE(fs::exists(keys_of(p).cert));
  CHECK_FALSE(fs::exists(t.home / "proxy.example.com.json"));
  CHECK_FALSE(fs::exists(t.home / "current-profile"));
}

TEST_CASE("a loose home directory is tightened to 0700") {
  temp_home t;
  fs::create_directories(t.home);
  ::chmod(t.home.c_str(), 0755);
  REQUIRE(ensure_dirs(sample()));
  CHECK(mode_of(t.home) == 0700);
}

TEST_CASE("bad names and broken profiles are refused") {
  temp_home t;
  CHECK_FALSE(check_user_name(""));
  CHECK_FALSE(check_user_name(".."));
  CHECK_FALSE(check_user_name("a/b"));
  CHECK_FALSE(check_user_name("joe\n"));
  CHECK(check_user_name("joe@example.com"));
  CHECK_FALSE(check_profile_name("../etc"));
  CHECK_FALSE(check_profile_name("a b"));
  CHECK(check_profile_name("127.0.0.1"));
  CHECK(check_profile_name("::1"));

  fs::create_directories(t.home);
  std::ofstream(t.home / "broken.example.json") << "{not json";
  auto broken = load_profile("broken.example");
  REQUIRE_FALSE(broken);
  CHECK(broken.message().find("tsh login") != std::string::npos);
  std::ofstream(t.home / "evil.example.json")
      << R"({"web_proxy_addr": "x:3080", "ssh_proxy_addr": "x:3023", "user": "../../etc"})";
  CHECK_FALSE(load_profile("evil.example"));
  std::ofstream(t.home / "other.example.json")
      << R"({"web_proxy_addr": "x:3080", "ssh_proxy_addr": "x:3023", "user": "joe"})";
  CHECK_FALSE(load_profile("other.example"));  // names another proxy
  CHECK_FALSE(load_profile("missing.example"));
}
