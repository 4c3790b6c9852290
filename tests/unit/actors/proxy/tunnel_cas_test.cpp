// The CA announcements on a reverse tunnel's heartbeat lines, and when a proxy asks
// its auth to follow them.
#include "actors/proxy/tunnel_cas.hpp"

#include <catch2/catch.hpp>

#include "transport/ssh_key.hpp"

using namespace tp;
using namespace tp::actors;

namespace {

transport::key_pair make_key() {
  auto k = transport::key_pair::generate(transport::key_type::ed25519);
  REQUIRE(k);
  return *k;
}

}  // namespace

TEST_CASE("tunnel_self: heartbeats and answers announce our own CAs", "[tunnel]") {
  const auto user = make_key(), host = make_key();
  tunnel_self self("main", [] { return std::string("cert-line"); });
  CHECK(self.host_cert() == "cert-line");

  // Before auth answered: nothing to announce.
  auto bare = parse_announced_cas(self.answer());
  REQUIRE(bare);
  CHECK(bare->cluster == "main");
  CHECK(bare->user_ca_keys.empty());
  CHECK(bare->host_ca_keys.empty());

  self.set_cas({user.pub().authorized_key()}, {host.pub().authorized_key()});
  auto answer = parse_announced_cas(self.answer());
  REQUIRE(answer);
  CHECK(answer->user_ca_keys == std::vector<std::string>{user.pub().authorized_key()});
  CHECK(answer->host_ca_keys == std::vector<std::string>{host.pub().authorized_key()});
  CHECK(self.answer().find("\"ok\":true") != std::string::npos);

  // A leaf announces only its host CA (a root never trusts a leaf's users).
  auto beat = parse_announced_cas(self.heartbeat(3));
  REQUIRE(beat);
  CHECK(beat->user_ca_keys.empty());
  CHECK(beat->host_ca_keys == std::vector<std::string>{host.pub().authorized_key()});
  CHECK(self.heartbeat(3).find("\"nodes\":3") != std::string::npos);
}

TEST_CASE("tunnel_cas: malformed announcements are ignored", "[tunnel]") {
  CHECK_FALSE(parse_announced_cas("not json"));
  CHECK_FALSE(parse_announced_cas("[1,2]"));
  CHECK_FALSE(parse_announced_cas(R"({"cluster":7})"));
  CHECK_FALSE(parse_announced_cas(R"({"host_ca":"ssh-ed25519 AAAA"})"));
  CHECK_FALSE(parse_announced_cas(R"({"host_ca":[1]})"));
  CHECK_FALSE(parse_announced_cas(R"({"user_ca":["a","b","c","d","e","f","g","h","i"]})"));
  auto old_root = parse_announced_cas(R"({"ok":true})");  // a root too old to announce
  REQUIRE(old_root);
  CHECK(old_root->cluster.empty());
}

TEST_CASE("tunnel_cas: a change is asked for only when the keys differ", "[tunnel]") {
  const auto old_key = make_key(), new_key = make_key(), user = make_key();
  const std::vector<std::string> stored{old_key.pub().blob()};
  announced_cas a;
  a.cluster = "east";
  a.host_ca_keys = {old_key.pub().authorized_key()};

  // The same keys (comments do not matter): nothing to do.
  CHECK_FALSE(remote_ca_change("east", a, std::nullopt, stored));
  a.host_ca_keys = {old_key.pub().authorized_key() + " another-comment"};
  CHECK_FALSE(remote_ca_change("east", a, std::nullopt, stored));

  // The leaf entered a rotation: both keys, the new one first.
  a.host_ca_keys = {new_key.pub().authorized_key(), old_key.pub().authorized_key()};
  auto change = remote_ca_change("east", a, std::nullopt, stored);
  REQUIRE(change);
  CHECK(change->cluster == "east");
  CHECK(change->host_ca_keys == a.host_ca_keys);
  CHECK(change->user_ca_keys.empty());

  // A line from another cluster's tunnel, or an old root's bare answer, asks nothing.
  CHECK_FALSE(remote_ca_change("west", a, std::nullopt, stored));
  announced_cas bare;
  CHECK_FALSE(remote_ca_change("east", bare, std::nullopt, stored));
  // Nor does a kind we hold nothing of (a leaf's user CA at the root).
  a.user_ca_keys = {user.pub().authorized_key()};
  a.host_ca_keys = {old_key.pub().authorized_key()};
  CHECK_FALSE(remote_ca_change("east", a, std::nullopt, stored));
  // A key that does not parse: nothing is asked (auth would refuse it anyway).
  a.host_ca_keys = {"ssh-ed25519 not-base64!"};
  CHECK_FALSE(remote_ca_change("east", a, std::nullopt, stored));

  // At the leaf: the root's user CA changed, its host CA did not.
  a.user_ca_keys = {new_key.pub().authorized_key(), user.pub().authorized_key()};
  a.host_ca_keys = {old_key.pub().authorized_key()};
  auto root = remote_ca_change("east", a, std::vector<std::string>{user.pub().blob()}, stored);
  REQUIRE(root);
  CHECK(root->user_ca_keys == a.user_ca_keys);
  CHECK(root->host_ca_keys.empty());
}
