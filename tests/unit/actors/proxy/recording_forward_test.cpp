#include "actors/proxy/recording_forward.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "actors/proxy/proxy_handler.hpp"
#include "transport/ssh_key.hpp"

using namespace tp;
using namespace tp::actors;

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Everything after "--": the host and what runs there.
std::vector<std::string> tail(const std::vector<std::string>& v) {
  auto it = std::find(v.begin(), v.end(), "--");
  REQUIRE(it != v.end());
  return {it + 1, v.end()};
}

}  // namespace

TEST_CASE("recording proxy: ssh to the node uses only the client's agent", "[recording_forward]") {
  forward_ssh_options o;
  o.host = "10.0.0.5";
  o.port = 2222;
  o.known_hosts_file = "/tmp/x/known_hosts";
  o.host_key_algorithms = "ssh-ed25519";
  const auto a = forward_ssh_argv(o, "alice", std::nullopt, "", true);
  CHECK(a.front() == "ssh");
  CHECK(has(a, "IdentityFile=none"));
  CHECK(has(a, "BatchMode=yes"));
  CHECK(has(a, "EscapeChar=none"));
  CHECK(has(a, "StrictHostKeyChecking=yes"));
  CHECK(has(a, "UserKnownHostsFile=/tmp/x/known_hosts"));
  CHECK(has(a, "HostKeyAlgorithms=ssh-ed25519"));
  CHECK(has(a, "-tt"));
  CHECK(has(a, "2222"));
  CHECK(has(a, "alice"));
  CHECK(tail(a) == std::vector<std::string>{"10.0.0.5"});  // a shell
}

TEST_CASE("recording proxy: commands and subsystems pass as one argument after --",
          "[recording_forward]") {
  forward_ssh_options o;
  o.host = "node";
  const auto exec = forward_ssh_argv(o, "bob", std::string("-la; echo 'x y'"), "", false);
  CHECK(has(exec, "-T"));
  CHECK(tail(exec) == std::vector<std::string>{"node", "-la; echo 'x y'"});
  // No key pinned: proxy_checks_host_keys: no.
  CHECK(has(exec, "StrictHostKeyChecking=no"));
  CHECK(has(exec, "UserKnownHostsFile=/dev/null"));

  const auto sftp = forward_ssh_argv(o, "bob", std::nullopt, "sftp", false);
  CHECK(has(sftp, "-s"));
  CHECK(tail(sftp) == std::vector<std::string>{"node", "sftp"});
}

TEST_CASE("recording proxy: host key algorithms follow the pinned key", "[recording_forward]") {
  auto ed = transport::key_pair::generate(transport::key_type::ed25519);
  REQUIRE(ed.ok());
  CHECK(host_key_algorithms_for(ed->pub()) == "ssh-ed25519");
  auto rsa = transport::key_pair::generate(transport::key_type::rsa, 2048);
  REQUIRE(rsa.ok());
  CHECK(host_key_algorithms_for(rsa->pub()) == "rsa-sha2-512,rsa-sha2-256");
}

TEST_CASE("recording proxy: the node list shows the proxy's key for every node",
          "[recording_forward]") {
  messages::node n;
  n.meta.name = "id-1";
  n.spec.hostname = "luna";
  n.spec.addr = "127.0.0.1:3022";
  n.spec.host_key = "ssh-ed25519 NODEKEY";
  auto plain = nlohmann::json::parse(nodes_json({n}));
  CHECK(plain[0]["host_key"] == "ssh-ed25519 NODEKEY");
  CHECK_FALSE(plain[0].contains("recording_proxy"));
  auto rec = nlohmann::json::parse(nodes_json({n}, "ssh-ed25519 PROXYKEY"));
  CHECK(rec[0]["host_key"] == "ssh-ed25519 PROXYKEY");
  CHECK(rec[0]["recording_proxy"] == true);
}
