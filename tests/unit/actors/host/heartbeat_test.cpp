#include "actors/host/heartbeat.hpp"

#include <catch2/catch.hpp>

#include "transport/ssh_key.hpp"
#include "transport/ssh_private_key.hpp"

using namespace tp;
using namespace tp::actors;
using namespace std::chrono_literals;

TEST_CASE("reconnects back off exponentially with bounded jitter", "[heartbeat]") {
  CHECK(reconnect_delay(1, 0.0) == 1000ms);
  CHECK(reconnect_delay(2, 0.0) == 2000ms);
  CHECK(reconnect_delay(4, 0.0) == 8000ms);
  CHECK(reconnect_delay(50, 0.0) == 30000ms);
  CHECK(reconnect_delay(50, 0.999) < 45000ms);
  CHECK(reconnect_delay(1, 0.5) == 1250ms);
  CHECK(heartbeat_ttl == 3 * heartbeat_interval);
}

TEST_CASE("the announced node record", "[heartbeat]") {
  config::teleport_config cfg;
  cfg.global.nodename = "luna";
  cfg.global.advertise_ip = "10.0.0.7";
  cfg.ssh_service.listen_addr = config::address{"0.0.0.0", 3022};
  cfg.ssh_service.labels = {{"env", "prod"}};
  cfg.ssh_service.commands = {config::command_label{"arch", {"uname", "-m"}, 60s}};
  auto key = transport::key_pair::generate();
  REQUIRE(key);
  identity id;
  id.host_id = "host-1";
  id.ssh_private_key = transport::encode_openssh_private_key(*key);
  auto n = announced_node(cfg, id, "node");
  CHECK(n.meta.name == "host-1");
  CHECK(n.spec.hostname == "luna");
  CHECK(n.spec.addr == "10.0.0.7:3022");
  CHECK(n.meta.labels.at("env") == "prod");
  CHECK(n.spec.cmd_labels.at("arch").command == std::vector<std::string>{"uname", "-m"});
  CHECK(n.spec.host_key == key->pub().authorized_key());

  cfg.global.advertise_ip.clear();
  CHECK(announced_node(cfg, id, "node").spec.addr == "127.0.0.1:3022");
  cfg.ssh_service.listen_addr.host = "192.168.1.5";
  CHECK(announced_node(cfg, id, "node").spec.addr == "192.168.1.5:3022");
}
