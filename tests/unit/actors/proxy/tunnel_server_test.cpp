// The reverse tunnel end to end on loopback: a leaf's tunnel client dials the
// root's tunnel listener, and the root reaches a "node" (an echo server) of the
// leaf through it. Also what must be refused.
#include "actors/proxy/tunnel_server.hpp"

#include <caf/all.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <ctime>
#include <thread>

#include "actors/proxy/cluster_link.hpp"
#include "actors/proxy/node_directory.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/ssh_reactor.hpp"
#include "transport/ssh_server.hpp"
#include "transport/ssh_tunnel_client.hpp"
#include "transport/tcp_dial.hpp"

using namespace tp;
using namespace tp::actors;
using namespace std::chrono_literals;

namespace {

transport::key_pair make_key() {
  auto k = transport::key_pair::generate(transport::key_type::ed25519);
  REQUIRE(k);
  return *k;
}

std::string host_cert(const transport::key_pair& ca, const transport::key_pair& host,
                      const std::string& name) {
  transport::cert_template t;
  t.key = host.pub();
  t.kind = transport::cert_type::host;
  t.key_id = name;
  t.principals = {name};
  const auto now = static_cast<std::uint64_t>(std::time(nullptr));
  t.valid_after = now - 60;
  t.valid_before = now + 3600;
  auto blob = transport::sign_certificate(t, ca);
  REQUIRE(blob);
  auto line = transport::certificate_line(*blob);
  REQUIRE(line);
  return *line;
}

// Accepts one connection and echoes it until EOF.
struct echo_server {
  int fd = -1;
  std::uint16_t port = 0;
  std::thread th;
  echo_server() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    th = std::thread([this] {
      const int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      for (;;) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        (void)::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      }
      ::close(c);
    });
  }
  ~echo_server() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    if (th.joinable()) th.join();
  }
};

struct root_side {
  transport::key_pair ca = make_key();
  transport::key_pair key = make_key();
  std::shared_ptr<tunnel_registry> registry = std::make_shared<tunnel_registry>();
  std::shared_ptr<trusted_leaves> leaves = std::make_shared<trusted_leaves>();
  std::shared_ptr<tunnel_self> self;
  std::unique_ptr<transport::ssh_reactor> reactor;
  std::unique_ptr<transport::ssh_server> server;

  explicit root_side(std::uint16_t port = 0) {
    auto r = transport::ssh_reactor::start({1, "tp-test"});
    REQUIRE(r);
    reactor = std::move(*r);
    self = std::make_shared<tunnel_self>(
        "main", [cert = host_cert(ca, key, "root-proxy")] { return cert; });
    start(port);
  }
  void start(std::uint16_t port) {
    transport::ssh_server_options o;
    o.port = port;
    o.host_keys = {key};
    auto s = transport::ssh_server::start(*reactor, o, make_tunnel_handler(registry, leaves, self));
    REQUIRE(s);
    server = std::move(*s);
  }
  void stop() {
    if (server) server->stop();
    server.reset();
  }
  ~root_side() {
    stop();
    reactor.reset();
  }
};

struct leaf_side {
  transport::key_pair ca = make_key();
  transport::key_pair key = make_key();
  std::atomic<bool> stop{false};
  std::atomic<bool> ready{false};
  std::string ended;
  std::thread th;

  void run(std::uint16_t root_port, const std::string& name, const transport::key_pair& root_ca,
           const transport::key_pair* signer = nullptr) {
    transport::tunnel_client_options o;
    auto fd = transport::dial_tcp("127.0.0.1", root_port, 5s);
    REQUIRE(fd);
    o.fd = fd->release();
    o.user = name;
    o.private_key = transport::encode_openssh_private_key(key);
    o.certificate = host_cert(signer ? *signer : ca, key, "leaf-proxy");
    o.heartbeat = 200ms;
    const std::string root_ca_blob = root_ca.pub().blob();
    o.check_server = [root_ca_blob](const std::string& line, const std::string& key_blob) {
      auto cert = transport::parse_certificate_line(line);
      if (!cert) return status(cert.err());
      transport::verify_options v;
      v.trusted_ca_blobs = {root_ca_blob};
      v.expected_kind = transport::cert_type::host;
      if (auto st = transport::verify_certificate(*cert, v); !st) return st;
      return cert->key.blob() == key_blob ? status{} : status(make_error("key mismatch"));
    };
    o.dial = [](const std::string& host, std::uint16_t port) -> result<int> {
      if (host != "127.0.0.1") return make_error("no node " + host);
      auto s = transport::dial_tcp(host, port, 5s);
      if (!s) return s.err();
      return s->release();
    };
    o.heartbeat_payload = [] { return std::string("{\"nodes\":1}"); };
    o.on_ready = [this] { ready = true; };
    o.stop = &stop;
    th = std::thread([this, o = std::move(o)]() mutable {
      ended = transport::run_tunnel_client(std::move(o)).message();
    });
  }
  void finish() {
    stop = true;
    if (th.joinable()) th.join();
  }
  ~leaf_side() { finish(); }
};

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (p()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return p();
}

bool online(const tunnel_registry& r, const std::string& cluster) {
  for (const auto& t : r.list({cluster})) {
    if (t.cluster == cluster) return t.online;
  }
  return false;
}

}  // namespace

TEST_CASE("reverse tunnel: the root reaches a leaf's node through it", "[tunnel]") {
  root_side root;
  leaf_side leaf;
  root.leaves->replace({{"east", {leaf.ca.pub().blob()}}});
  echo_server node;

  auto before = root.registry->dial("east", "127.0.0.1", node.port);
  REQUIRE_FALSE(before);
  CHECK(before.message() == "cluster east is offline");

  leaf.run(root.server->port(), "east", root.ca);
  REQUIRE(eventually([&] { return leaf.ready.load() && online(*root.registry, "east"); }));

  auto fd = root.registry->dial("east", "127.0.0.1", node.port);
  REQUIRE(fd);
  const std::string ping = "ping through the tunnel";
  REQUIRE(::send(fd->get(), ping.data(), ping.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(ping.size()));
  std::string got;
  char buf[256];
  while (got.size() < ping.size()) {
    const ssize_t n = ::recv(fd->get(), buf, sizeof buf, 0);
    REQUIRE(n > 0);
    got.append(buf, static_cast<std::size_t>(n));
  }
  CHECK(got == ping);

  // Heartbeats carry the leaf's payload.
  REQUIRE(eventually([&] {
    auto l = root.registry->list({"east"});
    return !l.empty() && l.front().info == "{\"nodes\":1}";
  }));

  // The leaf goes away: the root sees it offline and says so on a dial.
  leaf.finish();
  CHECK(leaf.ended == "stopped");
  REQUIRE(eventually([&] { return !online(*root.registry, "east"); }));
  auto after = root.registry->dial("east", "127.0.0.1", node.port);
  REQUIRE_FALSE(after);
  CHECK(after.message() == "cluster east is offline");
  auto listed = root.registry->list({"east"});
  REQUIRE(listed.size() == 1);
  CHECK_FALSE(listed.front().online);
  CHECK(listed.front().last_heartbeat_unix > 0);
}

TEST_CASE("reverse tunnel: untrusted clusters and certificates are refused", "[tunnel]") {
  root_side root;
  leaf_side leaf;
  root.leaves->replace({{"east", {leaf.ca.pub().blob()}}});

  SECTION("a cluster the root does not trust") {
    leaf.run(root.server->port(), "west", root.ca);
  }
  SECTION("a host certificate from another CA") {
    auto other = make_key();
    leaf.run(root.server->port(), "east", root.ca, &other);
  }
  leaf.th.join();
  CHECK_THAT(leaf.ended, Catch::Contains("refused this cluster's host certificate"));
  CHECK_FALSE(leaf.ready);
  CHECK_FALSE(online(*root.registry, "east"));
}

TEST_CASE("reverse tunnel: the leaf refuses a root proxy its CA did not vouch for", "[tunnel]") {
  root_side root;
  leaf_side leaf;
  root.leaves->replace({{"east", {leaf.ca.pub().blob()}}});
  auto impostor_ca = make_key();
  leaf.run(root.server->port(), "east", impostor_ca);
  leaf.th.join();
  CHECK_THAT(leaf.ended, Catch::Contains("the root proxy is not who it should be"));
  CHECK_FALSE(leaf.ready);
}

TEST_CASE("reverse tunnel: a cluster no longer trusted is disconnected", "[tunnel]") {
  root_side root;
  leaf_side leaf;
  root.leaves->replace({{"east", {leaf.ca.pub().blob()}}});
  leaf.run(root.server->port(), "east", root.ca);
  REQUIRE(eventually([&] { return online(*root.registry, "east"); }));
  root.leaves->replace({});
  root.registry->sweep({});
  REQUIRE(eventually([&] { return !online(*root.registry, "east"); }));
  leaf.th.join();
  CHECK_FALSE(leaf.ended.empty());
}

TEST_CASE("trusted_leaves: lookups by cluster name", "[tunnel]") {
  trusted_leaves l;
  CHECK(l.host_cas_of("east").empty());
  l.replace({{"east", {"A", "B"}}, {"west", {"C"}}});
  CHECK(l.host_cas_of("east") == std::vector<std::string>{"A", "B"});
  CHECK(l.names() == std::vector<std::string>{"east", "west"});
  l.replace({});
  CHECK(l.names().empty());
}

TEST_CASE("trusted_cluster_link: dials, serves, reconnects after the root restarts, stops",
          "[tunnel][cluster_link]") {
  caf::actor_system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  root_side root;
  auto leaf_ca = make_key();
  auto leaf_key = make_key();
  root.leaves->replace({{"east", {leaf_ca.pub().blob()}}});
  echo_server node;

  auto ctx = std::make_shared<cluster_link_context>();
  ctx->cluster_name = "east";
  ctx->host_key = transport::encode_openssh_private_key(leaf_key);
  ctx->self = std::make_shared<tunnel_self>(
      "east", [cert = host_cert(leaf_ca, leaf_key, "leaf-proxy")] { return cert; });
  // Each side announces its own CAs: the leaf its host CA, the root both of its CAs.
  auto leaf_self = std::const_pointer_cast<tunnel_self>(ctx->self);
  leaf_self->set_cas({}, {leaf_ca.pub().authorized_key()});
  const auto root_user_ca = make_key();
  root.self->set_cas({root_user_ca.pub().authorized_key()}, {root.ca.pub().authorized_key()});
  ctx->nodes = std::make_shared<node_directory>("east");
  messages::node n;
  n.meta.name = "node-id-1";
  n.spec.hostname = "db1";
  n.spec.addr = "127.0.0.1:" + std::to_string(node.port);
  ctx->nodes->replace({n});

  cluster_link_target t;
  t.root = "main";
  const auto port = root.server->port();
  t.tunnel = {"127.0.0.1", port};
  auto link = spawn_cluster_link(sys, ctx, t, {root.ca.pub().blob()});
  REQUIRE(eventually([&] { return online(*root.registry, "east"); }));

  // The heartbeats carry the leaf's host CA, the answers the root's CAs.
  REQUIRE(eventually([&] {
    auto l = root.registry->list({"east"});
    return !l.empty() && l.front().info.find("host_ca") != std::string::npos;
  }));
  auto beat = parse_announced_cas(root.registry->list({"east"}).front().info);
  REQUIRE(beat);
  CHECK(beat->cluster == "east");
  CHECK(beat->host_ca_keys == std::vector<std::string>{leaf_ca.pub().authorized_key()});
  REQUIRE(eventually([&] { return !link.shared->last_answer().empty(); }));
  auto answer = parse_announced_cas(link.shared->last_answer());
  REQUIRE(answer);
  CHECK(answer->cluster == "main");
  CHECK(answer->user_ca_keys == std::vector<std::string>{root_user_ca.pub().authorized_key()});
  CHECK(answer->host_ca_keys == std::vector<std::string>{root.ca.pub().authorized_key()});

  // The root lists the leaf's nodes and reaches one by name.
  auto listing = root.registry->dial("east", "@nodes", 0);
  REQUIRE(listing);
  std::string text;
  char buf[4096];
  for (ssize_t got; (got = ::recv(listing->get(), buf, sizeof buf, 0)) > 0;) {
    text.append(buf, static_cast<std::size_t>(got));
  }
  CHECK_THAT(text, Catch::Contains("\"hostname\":\"db1\""));
  auto fd = root.registry->dial("east", "db1", 0);
  REQUIRE(fd);
  REQUIRE(::send(fd->get(), "hi", 2, MSG_NOSIGNAL) == 2);
  REQUIRE(::recv(fd->get(), buf, 2, MSG_WAITALL) == 2);
  CHECK(std::string(buf, 2) == "hi");
  auto unknown = root.registry->dial("east", "nope", 0);
  REQUIRE(unknown);  // the stream opens; the leaf refuses it and closes
  CHECK(::recv(unknown->get(), buf, sizeof buf, 0) <= 0);

  // The root goes away and comes back on the same port: the link dials again by itself.
  // Meanwhile the root rotated its host CA (new key first, the old one still trusted):
  // the link takes the new set without redialing and checks the root with it.
  auto next_root_ca = make_key();
  link.shared->set_root_host_ca_blobs({next_root_ca.pub().blob(), root.ca.pub().blob()});
  root.stop();
  REQUIRE(eventually([&] { return !online(*root.registry, "east"); }));
  // A gone root's announcement is forgotten.
  CHECK(eventually([&] { return link.shared->last_answer().empty(); }));
  root.self = std::make_shared<tunnel_self>(
      "main", [cert = host_cert(next_root_ca, root.key, "root-proxy")] { return cert; });
  root.start(port);
  REQUIRE(eventually([&] { return online(*root.registry, "east"); }, std::chrono::seconds{20}));

  // Shut down: the tunnel closes and the actor ends.
  link.shutdown();
  REQUIRE(eventually([&] { return !online(*root.registry, "east"); }));
  caf::scoped_actor self{sys};
  bool down = false;
  self->monitor(link.actor);
  self->receive([&](const caf::down_msg&) { down = true; },
                caf::after(std::chrono::seconds{10}) >> [] {});
  CHECK(down);
}
