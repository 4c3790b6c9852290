// Trusted Clusters on the auth side: the root validates a leaf's request with its
// token, the leaf stores the root's CAs; bad requests and replies change nothing.
#include <catch2/catch.hpp>

#include "actors/auth/auth_core.hpp"
#include "actors/auth/trust_exchange.hpp"
#include "actors/auth/trust_store.hpp"
#include "actors/proxy/web_server.hpp"
#include "actors/proxy/web_tls.hpp"
#include "tests/unit/actors/test_support.hpp"
#include "transport/ssh_key.hpp"

using namespace tp;
using namespace tp::actors::auth;
using namespace tp::messages;

namespace {

const caller admin{"admin", {"admin"}, "test"};
const caller proxy{"proxy-1", {"proxy"}, "x"};

struct cluster {
  test::temp_dir dir;
  std::shared_ptr<persistence::backend> db = test::open_db(dir);
  std::unique_ptr<auth_core> core;

  explicit cluster(const std::string& name) {
    auto cas = load_or_create_cas(*db, name);
    REQUIRE(cas);
    config::static_token st;
    st.roles = {config::system_role::trusted_cluster};
    st.value = "secret-token-to-add-new-clusters";
    core = std::make_unique<auth_core>(db, std::move(*cas), auth_core_options{"9.9.9", {st}, ""});
    REQUIRE(core->start());
  }

  api_reply call(const caller& who, api_request r) { return core->handle(who, std::move(r)); }

  std::vector<std::string> ca_names() {
    auto r = call(admin, get_resources_request{resource_kind::cert_authority, "", false});
    REQUIRE(std::holds_alternative<resources_reply>(r));
    std::vector<std::string> out;
    for (const auto& item : std::get<resources_reply>(r).items) {
      const auto& ca = std::get<cert_authority>(item);
      out.push_back(ca.meta.name + "/" + std::string(to_string(ca.spec.type)));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  validate_trusted_cluster_request request(const std::string& token) const {
    return {token,
            core->cas().cluster_name,
            {core->cas().host.pub().authorized_key()},
            {core->cas().user.pub().authorized_key()},
            ""};
  }
};

trusted_cluster trust_resource(const std::string& name, bool enabled) {
  trusted_cluster tc;
  tc.meta.name = name;
  tc.spec.enabled = enabled;
  tc.spec.token = "secret-token-to-add-new-clusters";
  tc.spec.web_proxy_addr = "127.0.0.1:3080";
  return tc;
}

std::string error_of(const api_reply& r) {
  auto* e = std::get_if<api_error>(&r);
  return e ? e->message : std::string();
}

}  // namespace

TEST_CASE("trust: the root trusts a leaf's host CA only with its token", "[trust]") {
  cluster main("main");
  cluster east("east");
  const auto before = main.ca_names();
  CHECK(before == std::vector<std::string>{"main/host", "main/user"});

  SECTION("a wrong token") {
    auto r = main.call(proxy, east.request("not-the-token"));
    CHECK_THAT(error_of(r), Catch::Contains("the trusted cluster token is not valid"));
    CHECK(main.ca_names() == before);
  }
  SECTION("a node token is not a trust token") {
    REQUIRE(
        error_of(main.call(admin, create_token_request{"node-token-1234", {"node"}, 600})).empty());
    auto r = main.call(proxy, east.request("node-token-1234"));
    CHECK_THAT(error_of(r), Catch::Contains("does not allow role"));
    CHECK(main.ca_names() == before);
  }
  SECTION("a leaf calling itself by the root's name") {
    auto req = east.request("secret-token-to-add-new-clusters");
    req.cluster_name = "main";
    CHECK_FALSE(error_of(main.call(proxy, req)).empty());
    CHECK(main.ca_names() == before);
  }
  SECTION("a key that does not parse") {
    auto req = east.request("secret-token-to-add-new-clusters");
    req.host_ca_keys = {"ssh-ed25519 not-base64!"};
    CHECK_FALSE(error_of(main.call(proxy, req)).empty());
    CHECK(main.ca_names() == before);
  }
  SECTION("users may not ask") {
    const caller user{"alice", {"user"}, "x"};
    CHECK_FALSE(
        error_of(main.call(user, east.request("secret-token-to-add-new-clusters"))).empty());
    CHECK(main.ca_names() == before);
  }
  SECTION("the right token") {
    auto r = main.call(proxy, east.request("secret-token-to-add-new-clusters"));
    REQUIRE(std::holds_alternative<ca_keys>(r));
    const auto& keys = std::get<ca_keys>(r);
    CHECK(keys.cluster_name == "main");
    CHECK(keys.user_ca_keys ==
          std::vector<std::string>{main.core->cas().user.pub().authorized_key()});
    CHECK(main.ca_names() == std::vector<std::string>{"east/host", "main/host", "main/user"});
    // The root's own users are not joined by the leaf's user CA.
    CHECK(main.core->public_cas().user_ca_keys.size() == 1);
  }
}

TEST_CASE("trust: the leaf stores the root's CAs, and drops them with the trust", "[trust]") {
  cluster main("main");
  cluster east("east");
  auto reply = main.call(proxy, east.request("secret-token-to-add-new-clusters"));
  REQUIRE(std::holds_alternative<ca_keys>(reply));
  const auto root = std::get<ca_keys>(reply);

  // Enabled trust is not stored without the exchange (the auth server runs it).
  auto direct = east.call(
      admin, upsert_resource_request{trust_resource(main.core->cas().cluster_name, true), true});
  CHECK_THAT(error_of(direct), Catch::Contains("established by the auth server"));
  CHECK(east.ca_names() == std::vector<std::string>{"east/host", "east/user"});

  SECTION("a reply naming another cluster changes nothing") {
    auto wrong = root;
    wrong.cluster_name = "west";
    CHECK_FALSE(error_of(east.core->store_trust(trust_resource("main", true), wrong)).empty());
    CHECK(east.ca_names() == std::vector<std::string>{"east/host", "east/user"});
  }
  SECTION("a reply without user CA keys changes nothing") {
    auto wrong = root;
    wrong.user_ca_keys.clear();
    CHECK_FALSE(error_of(east.core->store_trust(trust_resource("main", true), wrong)).empty());
    CHECK(east.ca_names() == std::vector<std::string>{"east/host", "east/user"});
  }
  SECTION("stored, then disabled, then removed") {
    REQUIRE(error_of(east.core->store_trust(trust_resource("main", true), root)).empty());
    CHECK(east.ca_names() ==
          std::vector<std::string>{"east/host", "east/user", "main/host", "main/user"});
    // The leaf's nodes accept the root's users.
    const auto users = east.core->public_cas().user_ca_keys;
    CHECK(std::find(users.begin(), users.end(), root.user_ca_keys.front()) != users.end());

    auto off = east.call(admin, upsert_resource_request{trust_resource("main", false), false});
    CHECK(error_of(off).empty());
    CHECK(east.ca_names() == std::vector<std::string>{"east/host", "east/user"});
    CHECK(east.core->public_cas().user_ca_keys.size() == 1);

    REQUIRE(error_of(east.core->store_trust(trust_resource("main", true), root)).empty());
    auto rm = east.call(admin, delete_resource_request{resource_kind::trusted_cluster, "main"});
    CHECK(error_of(rm).empty());
    CHECK(east.ca_names() == std::vector<std::string>{"east/host", "east/user"});
  }
}

TEST_CASE("trust: the exchange's JSON is parsed strictly", "[trust]") {
  auto good = parse_trust_request(
      R"({"token":"t","cluster_name":"east","host_ca_keys":["k1"],"user_ca_keys":["k2"]})");
  REQUIRE(good);
  CHECK(good->token == "t");
  CHECK(good->host_ca_keys == std::vector<std::string>{"k1"});
  for (
      const char* bad :
      {"", "[]", "{\"token\":1,\"cluster_name\":\"e\"}", "{\"cluster_name\":\"e\"}",
       R"({"token":"t","cluster_name":"e","host_ca_keys":"k"})",
       R"({"token":"t","cluster_name":"e","host_ca_keys":[1]})",
       R"({"token":"t","cluster_name":"e","host_ca_keys":["1","2","3","4","5","6","7","8","9"]})"}) {
    INFO(bad);
    CHECK_FALSE(parse_trust_request(bad));
  }
  auto reply = parse_trust_reply(nlohmann::json{{"cluster_name", "main"}, {"host_ca_keys", {"h"}}});
  REQUIRE(reply);
  CHECK(reply->cluster_name == "main");
  CHECK_FALSE(parse_trust_reply(nlohmann::json::array()));
  CHECK_FALSE(parse_trust_reply(nlohmann::json{{"host_ca_keys", {"h"}}}));
}

TEST_CASE("trust: an unreachable root is a clear error", "[trust]") {
  ca_keys own{"east", {"u"}, {"h"}, ""};
  auto tc = trust_resource("main", true);
  tc.spec.web_proxy_addr = "127.0.0.1:1";
  auto r = exchange_trust(tc, own, {false, std::chrono::milliseconds{2000}});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.message(), Catch::StartsWith("cannot reach trusted cluster main at 127.0.0.1:1"));
  tc.spec.web_proxy_addr = "";
  CHECK_THAT(exchange_trust(tc, own, {}).message(), Catch::Contains("web_proxy_addr is required"));
}

TEST_CASE("trust: a leaf expecting another root name changes nothing on the root", "[trust]") {
  cluster main("main");
  cluster east("east");
  auto req = east.request("secret-token-to-add-new-clusters");
  req.root_cluster_name = "notmain";
  CHECK_THAT(error_of(main.call(proxy, req)), Catch::Contains("must equal its cluster_name"));
  CHECK(main.ca_names() == std::vector<std::string>{"main/host", "main/user"});
  req.root_cluster_name = "main";
  CHECK(std::holds_alternative<ca_keys>(main.call(proxy, req)));
}

namespace {

// A root proxy's web port that answers the trust exchange as the test says.
struct fake_root {
  test::temp_dir dir;
  std::unique_ptr<actors::web_server> server;
  actors::web_response answer;
  std::string seen_body;

  fake_root() {
    config::teleport_config cfg;
    cfg.global.data_dir = dir.path().string();
    cfg.global.nodename = "main-proxy";
    auto tls = actors::load_or_create_web_tls(cfg);
    REQUIRE(tls);
    actors::web_server_options o;
    o.tls = std::move(*tls);
    auto s = actors::web_server::start(o, [this](const actors::web_request& r) {
      seen_body = r.body;
      return r.target == std::string(trust_validate_path) ? answer
                                                          : actors::web_response{404, "", ""};
    });
    REQUIRE(s);
    server = std::move(*s);
  }
  trusted_cluster resource() const {
    auto tc = trust_resource("main", true);
    tc.spec.web_proxy_addr = "127.0.0.1:" + std::to_string(server->port());
    return tc;
  }
};

}  // namespace

TEST_CASE("trust: the root's answers are checked by the leaf", "[trust]") {
  fake_root root;
  const ca_keys own{"east", {"ssh-ed25519 AAAAuser"}, {"ssh-ed25519 AAAAhost"}, ""};
  const trust_exchange_options insecure{true, std::chrono::milliseconds{5000}};
  cluster real_main("main");
  const auto good = to_json(real_main.core->public_cas()).dump();

  SECTION("a self-signed root without --insecure") {
    root.answer = {200, "application/json", good};
    auto r = exchange_trust(root.resource(), own, {false, std::chrono::milliseconds{5000}});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.message(),
               Catch::StartsWith("the trusted cluster uses misconfigured HTTP/TLS certificate"));
    CHECK(root.seen_body.empty());  // nothing was sent to an unverified server
  }
  SECTION("a good answer; the request carries our CAs, the token and the name we expect") {
    root.answer = {200, "application/json", good};
    auto r = exchange_trust(root.resource(), own, insecure);
    REQUIRE(r);
    CHECK(r->cluster_name == "main");
    auto sent = parse_trust_request(root.seen_body);
    REQUIRE(sent);
    CHECK(sent->token == "secret-token-to-add-new-clusters");
    CHECK(sent->cluster_name == "east");
    CHECK(sent->root_cluster_name == "main");
    CHECK(sent->host_ca_keys == own.host_ca_keys);
  }
  SECTION("refused tokens, broken and oversized answers") {
    root.answer = {403, "application/json", R"({"error":{"message":"bad token"}})"};
    CHECK_THAT(exchange_trust(root.resource(), own, insecure).message(),
               Catch::Contains("refused the token: bad token"));
    root.answer = {200, "application/json", "not json"};
    CHECK_THAT(exchange_trust(root.resource(), own, insecure).message(),
               Catch::Contains("not JSON"));
    root.answer = {200, "application/json",
                   R"({"cluster_name":"west","host_ca_keys":[],"user_ca_keys":[]})"};
    CHECK_THAT(exchange_trust(root.resource(), own, insecure).message(),
               Catch::Contains("must equal its cluster_name"));
    root.answer = {200, "application/json",
                   R"({"cluster_name":"main","host_ca_keys":["junk"],"user_ca_keys":["junk"]})"};
    CHECK_FALSE(exchange_trust(root.resource(), own, insecure));
    root.answer = {200, "application/json", std::string(2u << 20, ' ') + good};
    CHECK_THAT(exchange_trust(root.resource(), own, insecure).message(),
               Catch::Contains("larger than 1 MiB"));
  }
}

namespace {

std::vector<std::string> stored_keys(cluster& c, const std::string& name, ca_type type) {
  auto all = list_cas(*c.db);
  REQUIRE(all);
  for (const auto& ca : *all) {
    if (ca.meta.name == name && ca.spec.type == type) return ca.spec.checking_keys;
  }
  return {};
}

}  // namespace

TEST_CASE("trust: a trusted cluster's rotated CAs are taken only as a continuation",
          "[trust][rotation]") {
  cluster main("main");
  cluster east("east");
  auto reply = main.call(proxy, east.request("secret-token-to-add-new-clusters"));
  REQUIRE(std::holds_alternative<ca_keys>(reply));
  REQUIRE(error_of(east.core->store_trust(trust_resource("main", true), std::get<ca_keys>(reply)))
              .empty());
  const auto old_user = stored_keys(east, "main", ca_type::user);
  const auto old_host = stored_keys(east, "main", ca_type::host);
  REQUIRE(old_user.size() == 1);

  // main enters a user CA rotation: it trusts the new key and the old one.
  REQUIRE(error_of(main.call(admin, rotate_ca_request{"user", "manual", "init", -1})).empty());
  const auto rotating = main.core->own_public_cas();
  REQUIRE(rotating.user_ca_keys.size() == 2);
  const update_remote_cas_request good{"main", rotating.user_ca_keys, rotating.host_ca_keys};

  SECTION("refused, nothing changed") {
    const caller node{"node-1", {"node"}, "x"};
    auto denied = east.call(node, good);
    REQUIRE(std::holds_alternative<api_error>(denied));
    CHECK(std::get<api_error>(denied).code == api_errc::access_denied);
    auto unknown = good;
    unknown.cluster = "west";
    CHECK_THAT(error_of(east.call(proxy, unknown)), Catch::Contains("not trusted here"));
    auto own = good;
    own.cluster = "east";
    CHECK_THAT(error_of(east.call(proxy, own)), Catch::Contains("own name"));
    CHECK_THAT(error_of(east.call(proxy, update_remote_cas_request{"main", {}, {}})),
               Catch::Contains("no CA keys"));
    // Keys that share none with the trusted ones are not a rotation of this CA.
    auto stranger = transport::key_pair::generate(transport::key_type::ed25519);
    REQUIRE(stranger);
    auto foreign = good;
    foreign.user_ca_keys = {stranger->pub().authorized_key()};
    CHECK_THAT(error_of(east.call(proxy, foreign)), Catch::Contains("share none"));
    // One bad CA: the good one is not written either.
    auto half = good;
    half.host_ca_keys = {"ssh-ed25519 not-base64!"};
    CHECK_FALSE(error_of(east.call(proxy, half)).empty());
    CHECK(stored_keys(east, "main", ca_type::user) == old_user);
    CHECK(stored_keys(east, "main", ca_type::host) == old_host);
  }
  SECTION("every phase is followed, down to the new key alone") {
    CHECK(error_of(east.call(proxy, good)).empty());
    CHECK(stored_keys(east, "main", ca_type::user) == rotating.user_ca_keys);
    CHECK(stored_keys(east, "main", ca_type::host) == old_host);
    // The leaf's nodes accept users of both generations now.
    const auto accepted = east.core->public_cas().user_ca_keys;
    for (const auto& k : rotating.user_ca_keys) {
      CHECK(std::find(accepted.begin(), accepted.end(), k) != accepted.end());
    }
    for (const char* phase : {"update_clients", "update_servers", "standby"}) {
      REQUIRE(error_of(main.call(admin, rotate_ca_request{"user", "manual", phase, -1})).empty());
      const auto now = main.core->own_public_cas();
      CHECK(error_of(east.call(proxy, update_remote_cas_request{"main", now.user_ca_keys, {}}))
                .empty());
      CHECK(stored_keys(east, "main", ca_type::user) == now.user_ca_keys);
    }
    const auto done = stored_keys(east, "main", ca_type::user);
    REQUIRE(done.size() == 1);
    CHECK(done != old_user);
    // Repeating the same set is not a change and not an error.
    CHECK(error_of(east.call(proxy, update_remote_cas_request{"main", done, {}})).empty());
  }
}
