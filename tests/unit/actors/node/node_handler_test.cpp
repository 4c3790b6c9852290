#include "actors/node/node_handler.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <mutex>
#include <optional>

#include "../../transport/ssh_server_test_support.hpp"
#include "messages/access_policy.hpp"
#include "transport/child_process.hpp"
#include "transport/ssh_cert.hpp"

using namespace tp;
using namespace tp::actors;
using namespace tp::transport;

namespace {

std::string cert_blob(const key_pair& ca, const key_pair& user, std::vector<std::string> principals,
                      std::int64_t from, std::int64_t to) {
  cert_template t;
  t.key = user.pub();
  t.kind = cert_type::user;
  t.key_id = "alice";
  t.principals = std::move(principals);
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  t.valid_after = static_cast<std::uint64_t>(now + from);
  t.valid_before = static_cast<std::uint64_t>(now + to);
  auto blob = sign_certificate(t, ca);
  REQUIRE(blob);
  return *blob;
}

// A certificate carrying an access policy extension (as auth signs them).
std::string cert_with_policy(const key_pair& ca, const key_pair& user, const std::string& login,
                             const std::string& policy) {
  cert_template t;
  t.key = user.pub();
  t.kind = cert_type::user;
  t.key_id = "alice";
  t.principals = {login};
  const auto now = static_cast<std::uint64_t>(std::time(nullptr));
  t.valid_after = now - 60;
  t.valid_before = now + 3600;
  auto ext = default_user_extensions();
  ext[std::string(messages::policy_extension)] = policy;
  t.extensions = std::move(ext);
  auto blob = sign_certificate(t, ca);
  REQUIRE(blob);
  return *blob;
}

}  // namespace

TEST_CASE("the node enforces the roles its login certificate carries", "[node_handler]") {
  auto ca = key_pair::generate();
  auto user = key_pair::generate();
  REQUIRE((ca && user));
  const std::string login = current_os_user()->name;
  auto labels = std::make_shared<std::map<std::string, std::string>>(
      std::map<std::string, std::string>{{"env", "staging"}});
  node_policy policy;
  policy.user_ca_blobs = {ca->pub().blob()};
  policy.labels = [&labels] {
    return std::shared_ptr<const std::map<std::string, std::string>>(labels);
  };
  node_handler h(policy, {});

  messages::role staging;
  staging.meta.name = "staging";
  staging.spec.allow.logins = {"{{internal.logins}}"};
  staging.spec.allow.node_labels = {{"env", {"staging"}}};
  const auto p = messages::make_access_policy({staging}, {{"logins", {login}}});
  auth_attempt a;
  a.user = login;
  a.peer_address = "127.0.0.1";
  a.certificate_blob = cert_with_policy(*ca, *user, login, messages::encode_access_policy(p));
  CHECK(h.authorize(a));

  // The labels are read at each login: a command label that changes moves the node out.
  *labels = {{"env", "prod"}};
  auto refused = h.authorize(a);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.message(), Catch::Contains("no role of the user allows the login"));

  // A policy that does not decode refuses the login; it never means "no policy".
  *labels = {{"env", "staging"}};
  a.certificate_blob = cert_with_policy(*ca, *user, login, "{\"version\":\"v1\"}");
  CHECK_THAT(h.authorize(a).message(), Catch::Contains("access policy"));

  // A node without labels is reached only by a role that allows every node.
  policy.labels = nullptr;
  node_handler bare(policy, {});
  a.certificate_blob = cert_with_policy(*ca, *user, login, messages::encode_access_policy(p));
  CHECK_FALSE(bare.authorize(a));
  const auto admin =
      messages::make_access_policy({messages::make_admin_role()}, {{"logins", {login}}});
  a.certificate_blob = cert_with_policy(*ca, *user, login, messages::encode_access_policy(admin));
  CHECK(bare.authorize(a));
}

TEST_CASE("the node lets in only certificates of the cluster's user CA", "[node_handler]") {
  auto ca = key_pair::generate();
  auto other_ca = key_pair::generate();
  auto user = key_pair::generate();
  REQUIRE((ca && other_ca && user));
  const std::string login = current_os_user()->name;
  node_policy policy;
  policy.user_ca_blobs = {ca->pub().blob()};
  std::vector<std::string> events;
  node_handler h(policy, [&](nlohmann::json e) { events.push_back(e.dump()); });

  auth_attempt a;
  a.user = login;
  a.peer_address = "127.0.0.1";
  a.certificate_blob = cert_blob(*ca, *user, {login}, -60, 3600);
  CHECK(h.authorize(a));

  a.user = "no-such-login-here";
  a.certificate_blob = cert_blob(*ca, *user, {"no-such-login-here"}, -60, 3600);
  CHECK_FALSE(h.authorize(a));  // not an OS account

  a.user = login;
  a.certificate_blob = cert_blob(*ca, *user, {"someone-else"}, -60, 3600);
  CHECK_THAT(h.authorize(a).message(), Catch::Contains("principal"));
  a.certificate_blob = cert_blob(*other_ca, *user, {login}, -60, 3600);
  CHECK_FALSE(h.authorize(a));
  a.certificate_blob = cert_blob(*ca, *user, {login}, -7200, -3600);
  CHECK_THAT(h.authorize(a).message(), Catch::Contains("expired"));
  a.certificate_blob = user->pub().blob();  // a plain key
  CHECK_FALSE(h.authorize(a));

  auth_failure f;
  f.user = login;
  f.reason = "certificate expired";
  f.method = "publickey";
  h.on_auth_failure(f);
  REQUIRE(events.size() == 1);
  auto e = nlohmann::json::parse(events[0]);
  CHECK(e["event"] == "auth");
  CHECK(e["success"] == false);
  CHECK(e["error"] == "certificate expired");
}

TEST_CASE("environment file lines (.tsh/environment)", "[node_handler]") {
  auto env =
      parse_environment_file("# comment\nFOO=bar\n\nBAD LINE\n=x\nA_1=two words\r\nno_equals\n");
  CHECK(env == std::vector<std::string>{"FOO=bar", "A_1=two words"});
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "V" + std::to_string(i) + "=1\n";
  CHECK(parse_environment_file(many).size() == 1000);
}

TEST_CASE("legacy scp command lines name the action and the path", "[node]") {
  auto up = parse_scp_command("scp -t /tmp/dir/up file.bin");
  REQUIRE(up);
  CHECK(up->action == "write");
  CHECK(up->path == "/tmp/dir/up file.bin");
  auto down = parse_scp_command("scp -r -p -f -- /srv/data");
  REQUIRE(down);
  CHECK(down->action == "read");
  CHECK(down->path == "/srv/data");
  CHECK_FALSE(parse_scp_command("scp /a /b"));
  CHECK_FALSE(parse_scp_command("scp -t"));
  CHECK_FALSE(parse_scp_command("ls -t /x"));
  CHECK_FALSE(parse_scp_command(""));
}

namespace {

// Events a node_handler emits, from the reactor threads.
struct event_log {
  std::mutex mu;
  std::vector<nlohmann::json> events;
  void add(nlohmann::json e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(std::move(e));
  }
  std::optional<nlohmann::json> find(const std::string& type) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& e : events)
      if (e.value("event", "") == type) return e;
    return std::nullopt;
  }
};

// A node on a real SSH server with these rules, and an OpenSSH client running
// `sleep 20` on it with a certificate valid for `cert_seconds`.
struct disconnect_run {
  test::proc_result result;
  std::optional<nlohmann::json> event;
  std::chrono::milliseconds took{0};
};

disconnect_run run_with(disconnect_rules rules, std::int64_t cert_seconds) {
  const key_pair ca = test::make_key();
  node_policy p;
  p.user_ca_blobs = {ca.pub().blob()};
  p.host_id = "host-1";
  p.disconnect = [rules] { return rules; };
  auto log = std::make_shared<event_log>();
  auto h = std::make_shared<node_handler>(p, [log](nlohmann::json e) { log->add(std::move(e)); });
  test::test_server s({}, h);
  test::cert_spec spec;
  spec.principals = {s.login};
  spec.valid_to_offset = cert_seconds;
  auto id = test::write_identity(s.dir, "short", test::make_key(), &ca, spec);
  test::proc_options o;
  o.timeout_seconds = 15;
  const auto start = std::chrono::steady_clock::now();
  disconnect_run r;
  r.result = test::run_process(s.ssh_args(id, {"-T"}, "sleep 20"), o);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  r.event = log->find("client.disconnect");
  return r;
}

}  // namespace

TEST_CASE("an idle client is disconnected with a client.disconnect event", "[node_handler]") {
  auto r = run_with({std::chrono::milliseconds(1000), false}, 3600);
  CHECK_FALSE(r.result.timed_out);
  CHECK(r.result.exit_code == 255);  // ssh: connection closed by the server
  CHECK(r.took < std::chrono::seconds(10));
  REQUIRE(r.event.has_value());
  CHECK((*r.event)["reason"] == "client is idle for 1s");
  CHECK((*r.event)["login"] == current_os_user()->name);
  CHECK((*r.event)["server_id"] == "host-1");
}

TEST_CASE("a client whose certificate expires is disconnected", "[node_handler]") {
  auto r = run_with({std::chrono::milliseconds(0), true}, 3);
  CHECK_FALSE(r.result.timed_out);
  CHECK(r.result.exit_code == 255);
  REQUIRE(r.event.has_value());
  CHECK_THAT((*r.event)["reason"].get<std::string>(),
             Catch::StartsWith("client certificate expired at "));
}

TEST_CASE("without the rules the client stays connected", "[node_handler]") {
  const key_pair ca = test::make_key();
  node_policy p;
  p.user_ca_blobs = {ca.pub().blob()};
  auto log = std::make_shared<event_log>();
  auto h = std::make_shared<node_handler>(p, [log](nlohmann::json e) { log->add(std::move(e)); });
  test::test_server s({}, h);
  test::cert_spec spec;
  spec.principals = {s.login};
  auto id = test::write_identity(s.dir, "u", test::make_key(), &ca, spec);
  test::proc_options o;
  o.timeout_seconds = 15;
  auto r = test::run_process(s.ssh_args(id, {"-T"}, "sleep 2; echo stayed"), o);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "stayed\n");
  CHECK_FALSE(log->find("client.disconnect").has_value());
}
