// Compiles type_ids.hpp and moves resources through CAF's binary serialization. Needs CAF at
// link time, which unit_messages does not link: hence the .cc suffix keeps it out of the glob
// until tests/CMakeLists.txt gives it a target (see the messages helper's report).
#include "messages/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>
#include <catch2/catch.hpp>

using namespace tp::messages;

namespace {

user sample_user() {
  user u;
  u.meta.name = "joe";
  u.meta.labels = {{"team", "sre"}};
  u.meta.expires = *parse_rfc3339("2030-01-02T03:04:05.5Z");
  u.spec.roles = {"admin"};
  u.spec.traits = {{"logins", {"joe", "root"}}};
  u.spec.status.is_locked = true;
  u.spec.created.user_name = "builtin-Admin";
  u.spec.github_identities = {{"github", "joe"}};
  u.spec.auth.password_hash = "hash";
  u.spec.auth.totp_key = "JBSWY3DPEHPK3PXP";
  u.spec.auth.u2f_counter = 3;
  return u;
}

template <class T>
T round_trip(T value) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE_FALSE(sink(value));
  CHECK_FALSE(buf.empty());
  T out{};
  caf::binary_deserializer source{nullptr, buf};
  REQUIRE_FALSE(source(out));
  CHECK(source.remaining() == 0);
  return out;
}

}  // namespace

TEST_CASE("resources survive CAF binary serialization", "[type_ids]") {
  const user u = sample_user();
  CHECK(round_trip(u) == u);

  role r = make_admin_role();
  r.spec.options.client_idle_timeout = std::chrono::minutes{15};
  CHECK(round_trip(r) == r);

  saml_connector saml;
  saml.meta.name = "okta";
  saml.spec = {{"acs", "https://p/acs"}, {"attributes_to_roles", {{{"name", "g"}}}}};
  CHECK(round_trip(saml) == saml);

  provision_token t;
  t.meta.name = "abc";
  t.spec.roles = {system_role::node, system_role::trusted_cluster};
  cert_authority ca;
  ca.meta.name = "main";
  ca.spec.type = ca_type::host;
  ca.spec.cluster_name = "main";
  ca.spec.rotation_state.grace_period = std::chrono::hours{30};
  std::vector<resource> all = {resource{u}, resource{r}, resource{saml}, resource{t}, resource{ca}};
  CHECK(round_trip(all) == all);
  // CAF's logging and to_string() go through the same inspect overloads.
  CHECK_THAT(caf::deep_to_string(all), Catch::Contains("okta") && Catch::Contains("main"));
}

TEST_CASE("corrupt CAF input is an error, not a crash", "[type_ids]") {
  resource value{sample_user()};
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE_FALSE(sink(value));
  buf[0] = 42;  // no such alternative
  resource out;
  caf::binary_deserializer source{nullptr, buf};
  CHECK(source(out));
  buf.resize(buf.size() / 2);
  buf[0] = 0;
  caf::binary_deserializer truncated{nullptr, buf};
  CHECK(truncated(out));
}

TEST_CASE("type IDs and runtime registration", "[type_ids]") {
  CHECK(caf::type_id<user>::value == caf::first_custom_type_id);
  CHECK(caf::id_block::tp_messages::end - caf::id_block::tp_messages::begin == 14);
  CHECK(std::string(caf::type_name<resource>::value) == "tp::messages::resource");

  caf::actor_system_config cfg;
  add_message_types(cfg);
  caf::actor_system sys{cfg};
  auto msg = caf::make_message(sample_user());
  CHECK(msg.match_element<user>(0));
  CHECK(msg.get_as<user>(0) == sample_user());
  CHECK_THAT(caf::to_string(msg), Catch::Contains("joe"));

  // A whole message as BASP would ship it between auth servers.
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(msg));
  caf::message back;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(back));
  REQUIRE(back.match_element<user>(0));
  CHECK(back.get_as<user>(0) == sample_user());
}
