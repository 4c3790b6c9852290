#include "actors/auth/ca_rotation.hpp"

#include <catch2/catch.hpp>

#include "actors/auth/auth_core.hpp"
#include "actors/auth/ca_store.hpp"
#include "actors/client/join.hpp"
#include "actors/host/rotation_follow.hpp"
#include "tests/unit/actors/test_support.hpp"
#include "transport/ssh_cert.hpp"

using namespace tp;
using namespace tp::actors::auth;
using namespace tp::messages;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

const sys_time t0 = std::chrono::system_clock::from_time_t(1'800'000'000);

cert_authority fresh(ca_type type) {
  auto ca = generate_ca(type, "example.test");
  REQUIRE(ca);
  return *ca;
}

rotate_params manual(std::string phase) {
  return {"manual", std::move(phase), seconds{0}};
}

cert_authority step(const cert_authority& ca, const rotate_params& p, sys_time now = t0) {
  auto next = rotate_ca(ca, p, now, generate_ca);
  if (!next) FAIL(next.message());
  return *next;
}

std::string rotate_error(const cert_authority& ca, const rotate_params& p) {
  auto next = rotate_ca(ca, p, t0, generate_ca);
  REQUIRE_FALSE(next);
  return next.message();
}

}  // namespace

TEST_CASE("a manual rotation walks the phases with the signer first", "[ca_rotation]") {
  const auto start = fresh(ca_type::host);
  const auto old_key = start.spec.checking_keys[0];
  const auto old_tls = start.spec.tls_key_pairs[0];

  auto init = step(start, manual("init"));
  CHECK(init.spec.rotation_state.state == "in_progress");
  CHECK(init.spec.rotation_state.phase == "init");
  CHECK_FALSE(init.spec.rotation_state.current_id.empty());
  REQUIRE(init.spec.checking_keys.size() == 2);
  REQUIRE(init.spec.signing_keys.size() == 2);
  REQUIRE(init.spec.tls_key_pairs.size() == 2);
  CHECK(init.spec.checking_keys[0] == old_key);  // the old CA still signs
  const auto new_key = init.spec.checking_keys[1];
  CHECK(new_key != old_key);

  auto clients = step(init, manual("update_clients"));
  CHECK(clients.spec.checking_keys[0] == new_key);  // the new CA signs
  CHECK(clients.spec.checking_keys[1] == old_key);  // the old one is still trusted
  CHECK(clients.spec.tls_key_pairs[1] == old_tls);
  CHECK(clients.spec.signing_keys[0] == init.spec.signing_keys[1]);

  auto servers = step(clients, manual("update_servers"));
  CHECK(servers.spec.checking_keys == clients.spec.checking_keys);
  CHECK(servers.spec.rotation_state.phase == "update_servers");

  auto done = step(servers, manual("standby"), t0 + hours{1});
  CHECK(done.spec.checking_keys == std::vector<std::string>{new_key});
  CHECK(done.spec.signing_keys.size() == 1);
  CHECK(done.spec.tls_key_pairs.size() == 1);
  CHECK(done.spec.rotation_state.state == "standby");
  CHECK(done.spec.rotation_state.phase == "standby");
  CHECK(done.spec.rotation_state.last_rotated == timestamp::from_time_point(t0 + hours{1}));
}

TEST_CASE("a rollback restores the old CA as signer, then drops the new one", "[ca_rotation]") {
  const auto start = fresh(ca_type::user);
  const auto old_key = start.spec.checking_keys[0];
  for (const char* from : {"init", "update_clients", "update_servers"}) {
    INFO(from);
    auto ca = step(start, manual("init"));
    if (std::string(from) != "init") ca = step(ca, manual("update_clients"));
    if (std::string(from) == "update_servers") ca = step(ca, manual("update_servers"));
    auto back = step(ca, manual("rollback"));
    CHECK(back.spec.rotation_state.phase == "rollback");
    REQUIRE(back.spec.checking_keys.size() == 2);
    CHECK(back.spec.checking_keys[0] == old_key);
    CHECK(back.spec.signing_keys[0] == start.spec.signing_keys[0]);
    auto done = step(back, manual("standby"));
    CHECK(done.spec.checking_keys == start.spec.checking_keys);
    CHECK(done.spec.signing_keys == start.spec.signing_keys);
    CHECK(done.spec.rotation_state.last_rotated.is_zero());  // nothing was rotated
  }
}

TEST_CASE("phases out of order are refused with the allowed ones", "[ca_rotation]") {
  const auto start = fresh(ca_type::user);
  CHECK(rotate_error(start, manual("update_servers")).find("can move to init") !=
        std::string::npos);
  CHECK(rotate_error(start, manual("rollback")).find("standby") != std::string::npos);
  CHECK(rotate_error(start, manual("sideways")).find("unknown rotation phase") !=
        std::string::npos);
  CHECK(rotate_error(start, manual("")).find("--phase") != std::string::npos);
  auto init = step(start, manual("init"));
  CHECK(rotate_error(init, manual("update_servers")).find("update_clients or rollback") !=
        std::string::npos);
  CHECK(rotate_error(init, manual("init")).find("not to init") != std::string::npos);
  // An automatic rotation does not start over one in progress.
  CHECK(rotate_error(init, rotate_params{}).find("in progress") != std::string::npos);
  CHECK(rotate_error(start, {"sometimes", "", seconds{1}}).find("mode") != std::string::npos);
  CHECK(rotate_error(start, {"auto", "", seconds{-1}}).find("negative") != std::string::npos);
  // Too short for hosts to follow: refused (a manual rotation takes its own time).
  CHECK(rotate_error(start, {"auto", "", seconds{29}}).find("at least 30s") != std::string::npos);
  // A record that claims a phase without two generations of keys is not stepped.
  auto damaged = init;
  damaged.spec.checking_keys.resize(1);
  damaged.spec.signing_keys.resize(1);
  CHECK(rotate_error(damaged, manual("update_clients")).find("old and a new key") !=
        std::string::npos);
}

TEST_CASE("an automatic rotation follows its schedule over the grace period", "[ca_rotation]") {
  const auto start = fresh(ca_type::host);
  auto ca = step(start, {"auto", "", seconds{300}});
  const auto& r = ca.spec.rotation_state;
  CHECK(r.mode == "auto");
  CHECK(r.phase == "init");
  CHECK(r.schedule.update_clients == timestamp::from_time_point(t0 + seconds{100}));
  CHECK(r.schedule.update_servers == timestamp::from_time_point(t0 + seconds{200}));
  CHECK(r.schedule.standby == timestamp::from_time_point(t0 + seconds{300}));
  CHECK(next_step_time(r) == t0 + seconds{100});

  CHECK_FALSE(auto_advance(ca, t0 + seconds{99}));
  auto a = auto_advance(ca, t0 + seconds{100});
  REQUIRE(a);
  CHECK(a->spec.rotation_state.phase == "update_clients");
  CHECK(a->spec.rotation_state.mode == "auto");
  CHECK_FALSE(auto_advance(*a, t0 + seconds{150}));
  auto b = auto_advance(*a, t0 + seconds{250});
  REQUIRE(b);
  CHECK(b->spec.rotation_state.phase == "update_servers");
  auto c = auto_advance(*b, t0 + seconds{300});
  REQUIRE(c);
  CHECK(c->spec.rotation_state.phase == "standby");
  CHECK(c->spec.checking_keys.size() == 1);
  CHECK(c->spec.checking_keys[0] == ca.spec.checking_keys[1]);
  CHECK_FALSE(auto_advance(*c, t0 + hours{100}));  // done: nothing more is due

  // A manual step takes over a scheduled rotation; the schedule no longer applies.
  auto by_hand = step(ca, manual("rollback"));
  CHECK(by_hand.spec.rotation_state.mode == "manual");
  CHECK_FALSE(auto_advance(by_hand, t0 + hours{100}));
}

namespace {

const caller admin{"admin", {"admin"}, "test"};
const caller anonymous{};

struct cluster {
  test::temp_dir dir;
  std::shared_ptr<persistence::backend> db = test::open_db(dir);
  std::unique_ptr<auth_core> core;
  int changes = 0;

  cluster() {
    auto cas = load_or_create_cas(*db, "example.test");
    REQUIRE(cas);
    config::static_token st;
    st.roles = {config::system_role::node};
    st.value = "node-token";
    core = std::make_unique<auth_core>(db, std::move(*cas), auth_core_options{"9.9.9", {st}, ""});
    REQUIRE(core->start());
    core->set_on_cas_changed([this](const auth_core&) { ++changes; });
  }

  template <class T>
  T expect(const caller& who, api_request r) {
    auto reply = core->handle(who, std::move(r));
    if (auto* e = std::get_if<api_error>(&reply)) FAIL(describe(*e));
    REQUIRE(std::holds_alternative<T>(reply));
    return std::get<T>(std::move(reply));
  }
  api_error expect_error(const caller& who, api_request r) {
    auto reply = core->handle(who, std::move(r));
    REQUIRE(std::holds_alternative<api_error>(reply));
    return std::get<api_error>(std::move(reply));
  }
  rotation_reply rotate(std::string type, std::string phase) {
    return expect<rotation_reply>(admin, rotate_ca_request{type, "manual", phase, -1});
  }

  // A joined node's identity.
  actors::identity join(const std::string& host) {
    auto keys = actors::generate_join_keys();
    REQUIRE(keys);
    auto req = actors::make_join_request(*keys, "node-token", "node", host, "luna", {"10.1.2.3"});
    REQUIRE(req);
    auto reply = expect<join_reply>(anonymous, *req);
    auto id = actors::identity_from_join(reply, *keys, "node");
    REQUIRE(id);
    return *id;
  }
};

std::string signer_of(const std::string& cert_line) {
  auto cert = transport::parse_certificate_line(cert_line);
  REQUIRE(cert);
  return cert->signature_key.authorized_key();
}

}  // namespace

TEST_CASE("auth rotates its CAs and signs with the new one from update_clients", "[ca_rotation]") {
  cluster c;
  const std::string old_user = c.core->cas().user.pub().authorized_key();
  auto init = c.rotate("user", "init");
  CHECK(c.changes == 1);
  REQUIRE(init.cas.size() == 2);
  CHECK(init.cas[0].type == "user");
  CHECK(init.cas[0].phase == "init");
  CHECK(init.cas[0].fingerprints.size() == 2);
  CHECK(init.cas[1].phase == "standby");  // the host CA is not touched
  CHECK(init.keys.user_ca_keys.size() == 2);
  CHECK(c.core->cas().user.pub().authorized_key() == old_user);

  c.rotate("user", "update_clients");
  CHECK(c.core->cas().user.pub().authorized_key() != old_user);
  CHECK(c.core->cas().user_trusted.size() == 2);
  auto status = c.expect<rotation_reply>(admin, rotation_status_request{});
  CHECK(status.cas[0].phase == "update_clients");
  CHECK(status.cas[0].mode == "manual");

  // Refused steps change nothing.
  auto err = c.expect_error(admin, rotate_ca_request{"user", "manual", "init", -1});
  CHECK(err.message.find("update_servers or rollback") != std::string::npos);
  CHECK(c.expect_error(admin, rotate_ca_request{"both", "manual", "init", -1})
            .message.find("unknown CA type") != std::string::npos);
  CHECK(c.expect_error(admin, rotate_ca_request{"", "manual", "init", -1}).message.find("--type") !=
        std::string::npos);
  // Rotating both automatically is all or nothing: the user CA is busy, so the host CA
  // does not start either.
  CHECK(c.expect_error(admin, rotate_ca_request{"", "auto", "", 60}).message.find("in progress") !=
        std::string::npos);
  CHECK(c.expect<rotation_reply>(admin, rotation_status_request{}).cas[1].phase == "standby");
  // Only admins rotate.
  const caller node{"host-1", {"node"}, "test"};
  CHECK(c.expect_error(node, rotate_ca_request{"user", "manual", "rollback", -1}).code ==
        api_errc::access_denied);

  c.rotate("user", "update_servers");
  c.rotate("user", "standby");
  CHECK(c.core->cas().user_trusted.size() == 1);
  CHECK(c.core->cas().user_trusted[0].authorized_key() != old_user);
}

TEST_CASE("an automatic rotation is moved on by tick and noticed by other auths", "[ca_rotation]") {
  cluster c;
  auto started = c.expect<rotation_reply>(admin, rotate_ca_request{"host", "auto", "", 30});
  CHECK(started.cas[1].phase == "init");
  CHECK(started.cas[1].next_step_unix != 0);
  // A second auth server on the same backend sees the change on its next tick.
  auto other_cas = load_or_create_cas(*c.db, "example.test");
  REQUIRE(other_cas);
  auth_core other(c.db, std::move(*other_cas), auth_core_options{"9.9.9", {}, ""});
  const auto now = std::chrono::system_clock::now();
  c.core->tick(now + seconds{10});
  CHECK(c.expect<rotation_reply>(admin, rotation_status_request{}).cas[1].phase ==
        "update_clients");
  other.tick(now + seconds{10});  // nothing due for it any more, but it reloads
  CHECK(phase_of(other.cas().host_rotation) == "update_clients");
  c.core->tick(now + seconds{20});
  c.core->tick(now + seconds{30});
  CHECK(phase_of(c.core->cas().host_rotation) == "standby");
  CHECK(c.core->cas().host_trusted.size() == 1);
  CHECK(c.core->cas().tls_trusted.size() == 1);
}

TEST_CASE("hosts renew their certificates for the CA that signs now", "[ca_rotation]") {
  cluster c;
  auto id = c.join("host-1");
  auto other = c.join("host-2");  // joins before the rotation and never renews
  const std::string old_host = c.core->cas().host.pub().authorized_key();
  CHECK(signer_of(id.ssh_certificate) == old_host);

  auto init = c.rotate("host", "init");
  CHECK_FALSE(actors::needs_renewal(id, init.keys));  // the old CA still signs
  CHECK(actors::take_trust(id, init.keys));
  CHECK(id.host_ca_keys.size() == 2);
  CHECK_FALSE(actors::take_trust(id, init.keys));  // nothing new the second time

  auto clients = c.rotate("host", "update_clients");
  CHECK(actors::needs_renewal(id, clients.keys));
  const caller node{"host-1", {"node"}, "test"};
  auto tls_key = transport::x509_private_key::from_pem(id.tls_key_pem);
  REQUIRE(tls_key);
  auto pub = tls_key->public_part().to_pem();
  REQUIRE(pub);
  auto renewed = c.expect<join_reply>(node, renew_identity_request{id.ssh_certificate, *pub});
  CHECK(signer_of(renewed.ssh_certificate) == c.core->cas().host.pub().authorized_key());
  CHECK(signer_of(renewed.ssh_certificate) != old_host);
  auto cert = transport::parse_certificate_line(renewed.ssh_certificate);
  auto before = transport::parse_certificate_line(id.ssh_certificate);
  REQUIRE(cert);
  REQUIRE(before);
  CHECK(cert->principals == before->principals);  // the same names
  CHECK(cert->key == before->key);                // for the same key
  CHECK(transport::credentials_from_pem(renewed.tls_cert_pem, id.tls_key_pem));
  id.ssh_certificate = renewed.ssh_certificate;
  id.tls_cert_pem = renewed.tls_cert_pem;
  CHECK_FALSE(actors::needs_renewal(id, clients.keys));
  // Nothing to renew once the current CA signed it.
  CHECK(c.expect_error(node, renew_identity_request{id.ssh_certificate, *pub})
            .message.find("already signed by the current host CA") != std::string::npos);

  // Another host's certificate, or one from another CA, is not renewed for this caller.
  CHECK(c.expect_error(node, renew_identity_request{other.ssh_certificate, *pub}).code ==
        api_errc::access_denied);
  CHECK(c.expect_error(node, renew_identity_request{"garbage", *pub}).code ==
        api_errc::bad_parameter);
  CHECK(c.expect_error(anonymous, renew_identity_request{id.ssh_certificate, *pub}).code ==
        api_errc::access_denied);

  // After the rotation a host that never renewed holds a certificate nobody trusts.
  c.rotate("host", "update_servers");
  c.rotate("host", "standby");
  const caller late{"host-2", {"node"}, "test"};
  CHECK(c.expect_error(late, renew_identity_request{other.ssh_certificate, *pub}).code ==
        api_errc::access_denied);
}
