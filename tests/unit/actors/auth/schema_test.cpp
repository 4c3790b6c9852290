#include "actors/auth/schema.hpp"

#include <catch2/catch.hpp>

#include "actors/auth/ca_store.hpp"
#include "messages/resource.hpp"
#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors::auth;
using messages::ca_type;

namespace {

// A CA record as version 1 stored it: no rotation state.
void put_v1_ca(persistence::backend& db, ca_type type) {
  auto ca = generate_ca(type, "old.test");
  REQUIRE(ca);
  ca->spec.rotation_state = {};
  REQUIRE(db.put(ca_backend_key(type, "old.test"),
                 messages::to_json(messages::resource{*ca}, true).dump()));
}

messages::cert_authority read_ca(persistence::backend& db, ca_type type) {
  auto got = db.get(ca_backend_key(type, "old.test"));
  REQUIRE(got);
  auto ca = messages::as_kind<messages::cert_authority>(messages::parse_resource_json(got->value));
  REQUIRE(ca);
  return *ca;
}

std::string version_of(persistence::backend& db) {
  auto got = db.get(schema_version_key);
  return got ? got->value : "";
}

}  // namespace

TEST_CASE("an empty store starts at the current schema", "[schema]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  auto m = migrate_schema(*db);
  REQUIRE(m);
  CHECK(m->from == 0);
  CHECK(version_of(*db) == std::to_string(current_schema_version));
}

TEST_CASE("a version 1 store gets rotation states, keeping its keys", "[schema]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  REQUIRE(db->put("/cluster_name", "old.test"));
  put_v1_ca(*db, ca_type::user);
  put_v1_ca(*db, ca_type::host);
  const auto user_before = read_ca(*db, ca_type::user);
  REQUIRE(user_before.spec.rotation_state.state.empty());

  auto m = migrate_schema(*db);
  REQUIRE(m);
  CHECK(m->from == 1);
  CHECK(m->to == 2);
  CHECK(m->records_changed == 2);
  CHECK(version_of(*db) == "2");
  const auto user_after = read_ca(*db, ca_type::user);
  CHECK(user_after.spec.rotation_state.state == "standby");
  CHECK(user_after.spec.rotation_state.phase == "standby");
  CHECK(user_after.spec.checking_keys == user_before.spec.checking_keys);
  CHECK(user_after.spec.signing_keys == user_before.spec.signing_keys);
  CHECK(read_ca(*db, ca_type::host).spec.tls_key_pairs.size() == 1);
  // The migrated store is usable as it is.
  auto cas = load_or_create_cas(*db, "old.test");
  REQUIRE(cas);
  CHECK_FALSE(cas->created);

  // Running again changes nothing.
  auto again = migrate_schema(*db);
  REQUIRE(again);
  CHECK(again->from == 2);
  CHECK(again->records_changed == 0);
}

TEST_CASE("a newer or unreadable schema is refused and nothing changes", "[schema]") {
  test::temp_dir dir;
  auto db = test::open_db(dir);
  put_v1_ca(*db, ca_type::user);
  const auto before = db->get(ca_backend_key(ca_type::user, "old.test"));
  REQUIRE(before);

  REQUIRE(db->put(schema_version_key, "3"));
  auto newer = migrate_schema(*db);
  REQUIRE_FALSE(newer);
  CHECK(newer.message().find("written by a newer teleport (storage schema 3") != std::string::npos);

  REQUIRE(db->put(schema_version_key, "two"));
  auto bad = migrate_schema(*db);
  REQUIRE_FALSE(bad);
  CHECK(bad.message().find("not a schema version") != std::string::npos);
  CHECK(db->get(ca_backend_key(ca_type::user, "old.test"))->value == before->value);

  // A damaged CA record stops the migration before the version is written.
  REQUIRE(db->remove(schema_version_key));
  REQUIRE(db->put(ca_backend_key(ca_type::host, "old.test"), "{not json"));
  auto damaged = migrate_schema(*db);
  REQUIRE_FALSE(damaged);
  CHECK(damaged.message().find("/authorities/host/old.test is damaged") != std::string::npos);
  CHECK_FALSE(db->get(schema_version_key));
}
