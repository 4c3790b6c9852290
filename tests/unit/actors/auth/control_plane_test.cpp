// The control plane end to end inside one process: TLS listener, connection
// actors stamping the caller, the auth_server actor authorizing, and the
// synchronous client.
#include "actors/auth/control_plane.hpp"

#include <caf/all.hpp>

#include <catch2/catch.hpp>

#include "actors/auth/auth_server.hpp"
#include "actors/auth/local_identities.hpp"
#include "actors/client/auth_client.hpp"
#include "actors/client/join.hpp"
#include "messages/type_ids.hpp"
#include "tests/unit/actors/test_support.hpp"
#include "transport/x509_ca.hpp"

using namespace tp;
using namespace tp::actors;
using namespace tp::actors::auth;
using namespace tp::messages;

namespace {

struct cluster {
  test::temp_dir dir;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<control_plane> plane;
  caf::actor server;
  std::string pin;
  identity admin;
  identity node;

  cluster() {
    add_message_types(cfg);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    auto db = test::open_db(dir);
    auto cas = load_or_create_cas(*db, "example.test");
    REQUIRE(cas);
    auto core = std::make_unique<auth_core>(db, std::move(*cas), auth_core_options{"1", {}, ""});
    REQUIRE(core->start());
    pin = transport::ca_pin(core->cas().tls.cert);
    REQUIRE(write_admin_identity(*core, dir.path().string()));
    admin = *read_identity(identity_path(dir.path().string(), "admin"));

    auto keys = generate_join_keys();
    REQUIRE(keys);
    auto req = make_join_request(*keys, "", "node", "host-1", "luna", {});
    REQUIRE(req);
    auto reply = core->join(*req, true, std::chrono::system_clock::now());
    REQUIRE(std::holds_alternative<join_reply>(reply));
    node = *identity_from_join(std::get<join_reply>(reply), *keys, "luna");

    transport::leaf_request lr;
    lr.name = "auth-host";
    lr.roles = {"auth"};
    lr.hosts = {"127.0.0.1"};
    lr.not_before = std::chrono::system_clock::now() - std::chrono::minutes{1};
    lr.not_after = std::chrono::system_clock::now() + std::chrono::hours{1};
    auto creds = transport::issue_credentials(core->cas().tls, lr);
    REQUIRE(creds);
    transport::tls_server_config tls;
    tls.credentials = std::move(*creds);
    tls.ca = core->cas().tls.cert;
    server = spawn_auth_server(*sys, std::move(core));
    auto p = control_plane::start(*sys, server, std::move(tls));
    REQUIRE(p);
    plane = std::move(*p);
  }
  ~cluster() {
    plane->stop();
    caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
  }

  std::unique_ptr<auth_client> as(const identity& id) {
    auto c = auth_client::connect("127.0.0.1", plane->port(), id);
    REQUIRE(c);
    return std::move(*c);
  }
};

}  // namespace

TEST_CASE("control plane: callers get what their certificate allows", "[control_plane]") {
  cluster c;
  auto admin = c.as(c.admin);
  auto ping = admin->call_as(ping_request{});
  REQUIRE(ping);
  CHECK(ping->cluster_name == "example.test");
  CHECK(ping->ca_pin == c.pin);
  auto token = admin->call_as(create_token_request{"", {"node"}, 60});
  REQUIRE(token);

  auto node = c.as(c.node);
  CHECK(node->call_as(ca_keys_request{}));
  user u;
  u.meta.name = "mallory";
  u.spec.traits["logins"] = {"root"};
  auto denied = node->call_as(upsert_resource_request{u, false});
  REQUIRE_FALSE(denied);
  CHECK_THAT(denied.message(), Catch::StartsWith("access denied"));
  // The node's connection still works after a refusal.
  CHECK(node->call_as(ping_request{}));
  auto users = admin->call_as(get_resources_request{resource_kind::user, "", false});
  REQUIRE(users);
  CHECK(users->items.empty());

  transport::server_trust trust;
  trust.ca_pin = c.pin;
  auto anonymous = auth_client::connect("127.0.0.1", c.plane->port(), trust);
  REQUIRE(anonymous);
  CHECK_FALSE((*anonymous)->call_as(ping_request{}));
  auto keys = generate_join_keys();
  REQUIRE(keys);
  auto join = make_join_request(*keys, token->token, "node", "host-2", "mars", {});
  REQUIRE(join);
  auto joined = (*anonymous)->call_as(*join);
  REQUIRE(joined);
  CHECK(joined->host_id == "host-2");
}

TEST_CASE("control plane: a malformed request closes the connection", "[control_plane]") {
  cluster c;
  auto parts = tls_parts(c.admin);
  REQUIRE(parts);
  transport::tls_client_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = c.plane->port();
  cfg.credentials = parts->credentials;
  cfg.trust.ca = parts->ca;
  auto raw = transport::tls_client::connect(cfg);
  REQUIRE(raw);
  REQUIRE((*raw)->send(transport::frame::message("\x01\x02garbage")));
  auto r = (*raw)->receive(std::chrono::seconds{5});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.message(), Catch::Contains("malformed request"));
  // Other clients are unaffected.
  CHECK(c.as(c.admin)->call_as(ping_request{}));
}
