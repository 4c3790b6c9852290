#include "transport/ssh_private_key.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "openssh_tools.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

struct keygen_args {
  key_type type;
  const char* args;
};
const keygen_args k_keygen[] = {
    {key_type::ed25519, "-t ed25519"},         {key_type::ecdsa_p256, "-t ecdsa -b 256"},
    {key_type::ecdsa_p384, "-t ecdsa -b 384"}, {key_type::ecdsa_p521, "-t ecdsa -b 521"},
    {key_type::rsa, "-t rsa -b 3072"},
};

}  // namespace

TEST_CASE("our private key files are read by ssh-keygen", "[ssh_private_key][openssh]") {
  temp_dir dir;
  for (const auto& kg : k_keygen) {
    INFO(key_type_name(kg.type));
    auto key = key_pair::generate(kg.type, 2048);
    REQUIRE(key.ok());
    const std::string path = dir.file("id");
    REQUIRE(write_openssh_private_key_file(path, *key, "ours@test").ok());

    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    auto out = run("ssh-keygen -y -f " + quote(path));
    REQUIRE(out.exit_code == 0);
    CHECK(key_part(out.output) == key->pub().authorized_key());
    CHECK(out.output.find("ours@test") != std::string::npos);

    // And we read back what we wrote, comment included.
    std::string comment;
    auto back = read_openssh_private_key_file(path, &comment);
    REQUIRE(back.ok());
    CHECK(back->pub() == key->pub());
    CHECK(comment == "ours@test");
    auto sig = back->sign("x");
    REQUIRE(sig.ok());
    CHECK(key->pub().verify("x", *sig).ok());
  }
}

TEST_CASE("private keys made by ssh-keygen are read", "[ssh_private_key][openssh]") {
  temp_dir dir;
  for (const auto& kg : k_keygen) {
    INFO(kg.args);
    const std::string path = dir.file(std::string("k") + std::to_string(static_cast<int>(kg.type)));
    auto out =
        run(std::string("ssh-keygen -q ") + kg.args + " -N '' -C made-by-keygen -f " + quote(path));
    REQUIRE(out.exit_code == 0);
    std::string comment;
    auto key = read_openssh_private_key_file(path, &comment);
    REQUIRE(key.ok());
    CHECK(key->type() == kg.type);
    CHECK(comment == "made-by-keygen");
    CHECK(key->pub().authorized_key() == key_part(read_text(path + ".pub")));
    auto sig = key->sign("payload");
    REQUIRE(sig.ok());
    CHECK(key->pub().verify("payload", *sig).ok());
  }
}

TEST_CASE("unusable private key files are refused with a reason", "[ssh_private_key]") {
  temp_dir dir;
  SECTION("encrypted") {
    const std::string path = dir.file("enc");
    REQUIRE(run("ssh-keygen -q -t ed25519 -N secretpass -f " + quote(path)).exit_code == 0);
    auto key = read_openssh_private_key_file(path);
    REQUIRE_FALSE(key.ok());
    CHECK(key.message().find("encrypted") != std::string::npos);
    CHECK(key.message().find("ssh-keygen -p") != std::string::npos);
  }
  SECTION("PEM format") {
    const std::string path = dir.file("pem");
    REQUIRE(run("ssh-keygen -q -t ecdsa -m PEM -N '' -f " + quote(path)).exit_code == 0);
    auto key = read_openssh_private_key_file(path);
    REQUIRE_FALSE(key.ok());
    CHECK(key.message().find("not in OpenSSH format") != std::string::npos);
  }
  SECTION("missing file") {
    auto key = read_openssh_private_key_file(dir.file("nope"));
    REQUIRE_FALSE(key.ok());
    CHECK(key.message().find("No such file") != std::string::npos);
  }
  SECTION("damaged text") {
    auto key = key_pair::generate();
    REQUIRE(key.ok());
    const std::string good = encode_openssh_private_key(*key, "c");
    REQUIRE(parse_openssh_private_key(good).ok());
    CHECK_FALSE(parse_openssh_private_key("").ok());
    CHECK(parse_openssh_private_key(good.substr(0, good.size() / 2)).message().find("END") !=
          std::string::npos);
    // Every single-character change inside the armour is refused or yields the same key
    // (never a different key, never a crash).
    const std::size_t start = good.find('\n') + 1, stop = good.find("-----END");
    for (std::size_t i = start; i < stop; ++i) {
      if (good[i] == '\n') continue;
      std::string bad = good;
      bad[i] = bad[i] == 'A' ? 'B' : 'A';
      auto parsed = parse_openssh_private_key(bad);
      if (parsed.ok()) CHECK(parsed->pub() == key->pub());
    }
  }
}

TEST_CASE("the private key file replaces an existing file atomically", "[ssh_private_key]") {
  temp_dir dir;
  const std::string path = dir.file("id");
  write_text(path, "old");
  ::chmod(path.c_str(), 0644);
  auto key = key_pair::generate();
  REQUIRE(key.ok());
  REQUIRE(write_openssh_private_key_file(path, *key).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(read_openssh_private_key_file(path)->pub() == key->pub());
  // No temporary files left behind.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);
  CHECK_FALSE(write_openssh_private_key_file(dir.file("no/such/dir/id"), *key).ok());
}
