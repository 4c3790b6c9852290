#include "actors/auth/auth_core.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "actors/client/join.hpp"
#include "messages/access_policy.hpp"
#include "tests/unit/actors/test_support.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/x509_identity.hpp"

using namespace tp;
using namespace tp::actors::auth;
using namespace tp::messages;

namespace {

const caller admin{"admin", {"admin"}, "test"};
const caller anonymous{};

struct fixture {
  test::temp_dir dir;
  std::shared_ptr<persistence::backend> db = test::open_db(dir);
  std::unique_ptr<auth_core> core;

  fixture() {
    auto cas = load_or_create_cas(*db, "example.test");
    REQUIRE(cas);
    config::static_token st;
    st.roles = {config::system_role::node};
    st.value = "static-node-token";
    core = std::make_unique<auth_core>(db, std::move(*cas), auth_core_options{"9.9.9", {st}, ""});
    REQUIRE(core->start());
  }

  api_reply call(const caller& who, api_request r) { return core->handle(who, std::move(r)); }

  template <class T>
  T expect(const caller& who, api_request r) {
    auto reply = call(who, std::move(r));
    if (auto* e = std::get_if<api_error>(&reply)) FAIL(describe(*e));
    REQUIRE(std::holds_alternative<T>(reply));
    return std::get<T>(std::move(reply));
  }

  api_error expect_error(const caller& who, api_request r) {
    auto reply = call(who, std::move(r));
    REQUIRE(std::holds_alternative<api_error>(reply));
    return std::get<api_error>(std::move(reply));
  }

  join_request join_as(std::string token, std::string role, std::string host) {
    auto keys = actors::generate_join_keys();
    REQUIRE(keys);
    auto req = actors::make_join_request(*keys, std::move(token), std::move(role), std::move(host),
                                         "luna", {"10.1.2.3"});
    REQUIRE(req);
    return *req;
  }
};

user make_user(const std::string& name, std::vector<std::string> logins) {
  user u;
  u.meta.name = name;
  u.spec.roles = {"admin"};
  u.spec.traits["logins"] = std::move(logins);
  u.spec.auth.password_hash = "$argon2id$secret";
  return u;
}

}  // namespace

TEST_CASE("join with a good token certifies the host's keys", "[auth_core]") {
  fixture f;
  auto reply = f.expect<join_reply>(anonymous, f.join_as("static-node-token", "node", "host-1"));
  CHECK(reply.host_id == "host-1");
  CHECK(reply.cas.cluster_name == "example.test");
  auto cert = transport::parse_certificate_line(reply.ssh_certificate);
  REQUIRE(cert);
  CHECK(cert->principals == std::vector<std::string>{"host-1", "host-1.example.test", "luna",
                                                     "luna.example.test", "10.1.2.3"});
  auto tls = transport::x509_certificate::from_pem(reply.tls_cert_pem);
  REQUIRE(tls);
  auto id = transport::identity_from_certificate(*tls);
  REQUIRE(id);
  CHECK(id->name == "host-1");
  CHECK(id->roles == std::vector<std::string>{"node"});
}

TEST_CASE("joins are refused for bad tokens, roles and keys", "[auth_core]") {
  fixture f;
  auto bad = f.expect_error(anonymous, f.join_as("nope-nope-nope", "node", "h"));
  CHECK(bad.code == api_errc::access_denied);
  CHECK_THAT(bad.message, Catch::Contains("invalid or expired join token"));
  auto role = f.expect_error(anonymous, f.join_as("static-node-token", "proxy", "h"));
  CHECK_THAT(role.message, Catch::Contains("does not allow role \"proxy\""));
  auto req = f.join_as("static-node-token", "node", "h");
  req.ssh_public_key = "ssh-ed25519 not-base64!";
  CHECK(f.expect_error(anonymous, req).code == api_errc::bad_parameter);
  req = f.join_as("static-node-token", "node", "bad/host");
  CHECK(f.expect_error(anonymous, req).code == api_errc::bad_parameter);
  req = f.join_as("static-node-token", "admin", "h");
  CHECK(f.expect_error(anonymous, req).code == api_errc::bad_parameter);
}

TEST_CASE("user certificates carry the user's logins", "[auth_core]") {
  fixture f;
  auto key = transport::key_pair::generate();
  REQUIRE(key);
  auto missing = f.expect_error(admin, sign_user_request{"joe", key->pub().authorized_key(), 0});
  CHECK(missing.code == api_errc::not_found);
  CHECK_THAT(missing.message, Catch::Contains("user \"joe\" not found"));

  f.expect<ok_reply>(admin, upsert_resource_request{make_user("joe", {"joe", "root"}), true});
  auto signed_ = f.expect<certificate_reply>(
      admin, sign_user_request{"joe", key->pub().authorized_key(), 3600});
  auto cert = transport::parse_certificate_line(signed_.ssh_certificate);
  REQUIRE(cert);
  CHECK(cert->principals == std::vector<std::string>{"joe", "root"});
  CHECK(cert->valid_before - cert->valid_after == 3600 + 60);

  const caller node{"host-1", {"node"}, "x"};
  CHECK(f.expect_error(node, sign_user_request{"joe", key->pub().authorized_key(), 0}).code ==
        api_errc::access_denied);
}

TEST_CASE("user certificates follow the user's roles", "[auth_core]") {
  fixture f;
  // The built-in admin role exists from the start, as `tctl get roles` shows it.
  auto roles =
      f.expect<resources_reply>(admin, get_resources_request{resource_kind::role, "", false});
  REQUIRE(roles.items.size() == 1);
  CHECK(std::get<role>(roles.items[0]) == make_admin_role());

  role staging;
  staging.meta.name = "staging";
  staging.spec.options.max_session_ttl = std::chrono::hours{2};
  staging.spec.options.forward_agent = false;
  staging.spec.allow.logins = {"{{internal.logins}}", "deploy"};
  staging.spec.allow.node_labels = {{"env", {"staging"}}};
  staging.spec.deny.logins = {"root"};
  f.expect<ok_reply>(admin, upsert_resource_request{staging, true});
  auto joe = make_user("joe", {"joe", "root"});
  joe.spec.roles = {"staging"};
  f.expect<ok_reply>(admin, upsert_resource_request{joe, true});

  auto key = transport::key_pair::generate();
  REQUIRE(key);
  auto signed_ = f.expect<certificate_reply>(
      admin, sign_user_request{"joe", key->pub().authorized_key(), 10 * 3600});
  auto cert = transport::parse_certificate_line(signed_.ssh_certificate);
  REQUIRE(cert);
  CHECK(cert->principals == std::vector<std::string>{"joe", "deploy"});  // root is denied
  CHECK(cert->valid_before - cert->valid_after == 2 * 3600 + 60);        // the role's cap
  CHECK(cert->extensions.count("permit-agent-forwarding") == 0);
  CHECK(cert->extensions.count("permit-port-forwarding") == 1);
  CHECK(cert->extensions.at("teleport-roles") == R"({"roles":["staging"],"version":"v1"})");
  auto policy = decode_access_policy(cert->extensions.at("teleport-access-policy"));
  REQUIRE(policy);
  CHECK(policy->can_see({{"env", "staging"}}));
  CHECK_FALSE(policy->can_see({{"env", "prod"}}));

  // A role the user names but nobody created: no certificate, and the message says why.
  joe.spec.roles = {"staging", "ghost"};
  f.expect<ok_reply>(admin, upsert_resource_request{joe, false});
  auto ghost = f.expect_error(admin, sign_user_request{"joe", key->pub().authorized_key(), 0});
  CHECK(ghost.code == api_errc::access_denied);
  CHECK_THAT(ghost.message, Catch::Contains("role \"ghost\" of user \"joe\" is not found"));
  // Roles that leave no login: refused too.
  joe.spec.roles = {"staging"};
  joe.spec.traits["logins"] = {"root"};
  staging.spec.allow.logins = {"{{internal.logins}}"};
  f.expect<ok_reply>(admin, upsert_resource_request{staging, false});
  f.expect<ok_reply>(admin, upsert_resource_request{joe, false});
  CHECK_THAT(
      f.expect_error(admin, sign_user_request{"joe", key->pub().authorized_key(), 0}).message,
      Catch::Contains("has no logins"));

  // Signup links name existing roles only; the default is admin.
  auto bad = f.expect_error(admin, create_signup_request{"kim", {"kim"}, {"nope"}});
  CHECK(bad.code == api_errc::not_found);
  CHECK_THAT(bad.message, Catch::Contains("role \"nope\""));
  f.expect<token_info>(admin, create_signup_request{"kim", {"kim"}, {"staging"}});

  // A user record without roles keeps the admin role (as before roles existed).
  auto old = make_user("old", {"old"});
  old.spec.roles.clear();
  f.expect<ok_reply>(admin, upsert_resource_request{old, true});
  auto old_cert = transport::parse_certificate_line(
      f.expect<certificate_reply>(admin, sign_user_request{"old", key->pub().authorized_key(), 0})
          .ssh_certificate);
  REQUIRE(old_cert);
  CHECK(old_cert->extensions.at("teleport-roles") == R"({"roles":["admin"],"version":"v1"})");
}

TEST_CASE("resources: create, refuse duplicates, hide secrets, delete", "[auth_core]") {
  fixture f;
  f.expect<ok_reply>(admin, upsert_resource_request{make_user("joe", {"joe"}), true});
  auto dup = f.expect_error(admin, upsert_resource_request{make_user("joe", {"x"}), true});
  CHECK(dup.code == api_errc::already_exists);
  f.expect<ok_reply>(admin, upsert_resource_request{make_user("joe", {"root"}), false});

  auto plain =
      f.expect<resources_reply>(admin, get_resources_request{resource_kind::user, "", false});
  REQUIRE(plain.items.size() == 1);
  CHECK(std::get<user>(plain.items[0]).logins() == std::vector<std::string>{"root"});
  CHECK(std::get<user>(plain.items[0]).spec.auth.password_hash.empty());
  auto secret =
      f.expect<resources_reply>(admin, get_resources_request{resource_kind::user, "joe", true});
  CHECK(std::get<user>(secret.items.at(0)).spec.auth.password_hash == "$argon2id$secret");

  auto cas = f.expect<resources_reply>(
      admin, get_resources_request{resource_kind::cert_authority, "", false});
  CHECK(cas.items.size() == 2);
  CHECK(f.expect_error(admin, upsert_resource_request{cas.items[0], false}).code ==
        api_errc::bad_parameter);

  f.expect<ok_reply>(admin, delete_resource_request{resource_kind::user, "joe"});
  CHECK(f.expect_error(admin, delete_resource_request{resource_kind::user, "joe"}).code ==
        api_errc::not_found);
}

TEST_CASE("heartbeats list a host until its TTL, a node cannot speak for another", "[auth_core]") {
  fixture f;
  const caller node{"host-1", {"node"}, "x"};
  heartbeat_request hb;
  hb.server.meta.name = "host-1";
  hb.server.spec.hostname = "luna";
  hb.server.spec.addr = "127.0.0.1:3022";
  hb.role = "node";
  f.expect<ok_reply>(node, hb);
  auto nodes =
      f.expect<resources_reply>(admin, get_resources_request{resource_kind::node, "", false});
  REQUIRE(nodes.items.size() == 1);
  CHECK(std::get<messages::node>(nodes.items[0]).spec.hostname == "luna");

  hb.server.meta.name = "host-2";
  CHECK(f.expect_error(node, hb).code == api_errc::access_denied);
}

TEST_CASE("proxies learn each other's SSH host keys from their heartbeats", "[auth_core]") {
  fixture f;
  auto beat = [&](const std::string& id, const std::string& key) {
    heartbeat_request hb;
    hb.server.meta.name = id;
    hb.server.spec.hostname = id;
    hb.server.spec.addr = "127.0.0.1:3023";
    hb.server.spec.host_key = key;
    hb.role = "proxy";
    f.expect<ok_reply>(caller{id, {"proxy"}, "x"}, hb);
  };
  beat("proxy-1", "ssh-ed25519 AAAAkey1");
  beat("proxy-2", "ssh-ed25519 AAAAkey2");
  const caller proxy{"proxy-1", {"proxy"}, "x"};
  auto keys = f.expect<events_reply>(proxy, proxy_keys_request{}).events;
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"ssh-ed25519 AAAAkey1", "ssh-ed25519 AAAAkey2"});
  // Only proxies ask: a node or a user may not.
  CHECK(f.expect_error(caller{"n", {"node"}, "x"}, proxy_keys_request{}).code ==
        api_errc::access_denied);
  CHECK(f.expect_error(caller{"alice", {"user"}, "x"}, proxy_keys_request{}).code ==
        api_errc::access_denied);
}

TEST_CASE("signup and join tokens through the API", "[auth_core]") {
  fixture f;
  auto signup = f.expect<token_info>(admin, create_signup_request{"joe", {}, {}});
  CHECK(signup.user == "joe");
  auto join = f.expect<token_info>(admin, create_token_request{"", {"node"}, 300});
  auto all = f.expect<tokens_reply>(admin, list_tokens_request{});
  CHECK(all.items.size() == 3);  // signup, dynamic, static
  f.expect<join_reply>(anonymous, f.join_as(join.token, "node", "h2"));
  f.expect<ok_reply>(admin, delete_token_request{join.token});
  CHECK_THAT(f.expect_error(anonymous, f.join_as(join.token, "node", "h3")).message,
             Catch::Contains("invalid or expired"));
  f.expect<ok_reply>(admin, upsert_resource_request{make_user("ann", {"ann"}), true});
  CHECK(f.expect_error(admin, create_signup_request{"ann", {}, {}}).code ==
        api_errc::already_exists);
}

TEST_CASE("audit events from hosts are stamped and stored durably", "[auth_core]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  auto cas = load_or_create_cas(*db, "example.test");
  REQUIRE(cas);
  const auto log_dir = (dir / "log").string();
  auth_core core(db, std::move(*cas), auth_core_options{"1", {}, log_dir});
  REQUIRE(core.start());
  const caller node{"host-1", {"node"}, "x"};
  audit_event_request req;
  req.events = {R"({"event":"session.start","server_id":"forged","user":"alice",
                   "time":"2026-11-24T10:00:00Z"})",
                R"({"event":"exec","command":"ls","exitCode":"0"})"};
  auto reply = core.handle(node, req);
  REQUIRE(std::holds_alternative<ok_reply>(reply));
  std::ifstream day(log_dir + "/2026-11-24.00:00:00.log");
  std::string line;
  REQUIRE(std::getline(day, line));
  auto e = nlohmann::json::parse(line);
  CHECK(e["event"] == "session.start");
  CHECK(e["server_id"] == "host-1");  // a node cannot speak for another
  CHECK(e.contains("uid"));

  audit_event_request bad;
  bad.events = {R"({"event":"ok"})", "not json"};
  auto refused = core.handle(node, bad);
  REQUIRE(std::holds_alternative<api_error>(refused));
  CHECK(std::get<api_error>(refused).code == api_errc::bad_parameter);
  // All or nothing: the good event of the refused batch was not written.
  std::size_t lines = 0;
  for (const auto& f : std::filesystem::directory_iterator(log_dir)) {
    std::ifstream in(f.path());
    while (std::getline(in, line)) ++lines;
  }
  CHECK(lines == 2);
  CHECK(std::holds_alternative<api_error>(
      core.handle(caller{}, audit_event_request{{R"({"event":"x"})"}})));
}

namespace {

std::string totp_code(const std::string& secret, std::int64_t offset_seconds) {
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count() +
                 offset_seconds;
  const std::string cmd =
      "oathtool --totp -b --now \"@" + std::to_string(t) + "\" " + secret + " 2>/dev/null";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[64];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string secret_of(const std::string& uri) {
  const auto at = uri.find("secret=");
  REQUIRE(at != std::string::npos);
  return uri.substr(at + 7, uri.find('&', at) - at - 7);
}

}  // namespace

TEST_CASE("signup and web login: passwords, TOTP, replay and lockout", "[auth_core]") {
  fixture f;
  const caller proxy{"proxy-1", {"proxy"}, "x"};
  auto token = f.expect<token_info>(admin, create_signup_request{"joe", {"root"}, {}});
  auto info = f.expect<signup_info>(proxy, signup_info_request{token.token});
  CHECK(info.user == "joe");
  CHECK_THAT(info.otp_uri, Catch::StartsWith("otpauth://totp/example.test:joe?secret="));
  CHECK_FALSE(info.qr_png_base64.empty());
  const std::string secret = secret_of(info.otp_uri);
  const std::string code = totp_code(secret, 0);
  REQUIRE(code.size() == 6);

  // Bad input changes nothing: the token stays usable.
  CHECK(f.expect_error(proxy, complete_signup_request{token.token, "short", code}).code ==
        api_errc::bad_parameter);
  CHECK(f.expect_error(proxy, complete_signup_request{token.token, "password1", "000000"}).code ==
        api_errc::access_denied);
  CHECK(f.expect_error(proxy, complete_signup_request{"nope", "password1", code}).code ==
        api_errc::not_found);
  f.expect<token_info>(proxy, complete_signup_request{token.token, "password1", code});
  CHECK(f.expect_error(proxy, signup_info_request{token.token}).code == api_errc::not_found);

  auto key = transport::key_pair::generate();
  REQUIRE(key);
  auto login = [&](std::string user, std::string pw, std::string otp) {
    return f.call(proxy,
                  ssh_login_request{user, pw, otp, key->pub().authorized_key(), 600, "1.2.3.4"});
  };
  // The signup's code cannot be replayed; every bad credential reads the same.
  auto replay = login("joe", "password1", code);
  REQUIRE(std::holds_alternative<api_error>(replay));
  const std::string vague = std::get<api_error>(replay).message;
  CHECK(vague == "invalid user name, password or second factor");
  auto unknown = login("nobody", "password1", code);
  CHECK(std::get<api_error>(unknown).message == vague);

  const std::string next = totp_code(secret, 30);
  auto ok = login("joe", "password1", next);
  REQUIRE(std::holds_alternative<ssh_login_reply>(ok));
  auto cert = transport::parse_certificate_line(std::get<ssh_login_reply>(ok).ssh_certificate);
  REQUIRE(cert);
  CHECK(cert->principals == std::vector<std::string>{"root"});
  CHECK(cert->key_id == "joe");
  CHECK(std::get<ssh_login_reply>(ok).host_ca_keys.size() == 1);

  // Five failures lock the user, even against the right password afterwards.
  for (int i = 0; i < 5; ++i) CHECK(std::holds_alternative<api_error>(login("joe", "wrong", next)));
  auto locked = login("joe", "password1", totp_code(secret, 60));
  REQUIRE(std::holds_alternative<api_error>(locked));
  CHECK_THAT(std::get<api_error>(locked).message, Catch::Contains("too many"));
  // Nodes may not log users in.
  CHECK(f.expect_error(caller{"n", {"node"}, "x"}, signup_info_request{"t"}).code ==
        api_errc::access_denied);
}

TEST_CASE("auth servers announce themselves in the shared backend", "[auth_core]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  auto make = [&](std::string id, std::string addr) {
    auto cas = load_or_create_cas(*db, "example.test");
    REQUIRE(cas);
    auth_core_options o{"9.9.9", {}, ""};
    o.server_id = std::move(id);
    o.advertise_addr = std::move(addr);
    auto c = std::make_unique<auth_core>(db, std::move(*cas), std::move(o));
    REQUIRE(c->start());
    return c;
  };
  auto a = make("auth-a", "10.0.0.7:3025");
  auto b = make("auth-b", "10.0.0.8:3025");
  auto quiet = make("auth-c", "");  // no address to announce: not listed
  const auto t0 = std::chrono::system_clock::now();
  a->announce(t0);
  b->announce(t0);
  quiet->announce(t0);
  const caller node{"host-1", {"node"}, "x"};
  auto r = a->handle(node, auth_servers_request{});
  REQUIRE(std::holds_alternative<events_reply>(r));
  auto listed = std::get<events_reply>(r).events;
  std::sort(listed.begin(), listed.end());
  CHECK(listed == std::vector<std::string>{"10.0.0.7:3025", "10.0.0.8:3025"});
  // Users may not ask.
  const caller user{"alice", {"user"}, "x"};
  CHECK(std::holds_alternative<api_error>(a->handle(user, auth_servers_request{})));
}
