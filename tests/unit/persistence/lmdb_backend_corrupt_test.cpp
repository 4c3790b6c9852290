// Records damaged on disk: clear errors naming the key, repairable with
// put/remove, and the TTL sweeper keeps working past them.
#include <lmdb.h>

#include <catch2/catch.hpp>

#include "persistence/lmdb_backend.hpp"
#include "persistence/record.hpp"
#include "test_support.hpp"

using namespace tp::persistence;
using namespace std::chrono_literals;

namespace {

// Writes raw bytes into one of the backend's tables while it is closed.
void poke(const std::filesystem::path& dir, const char* table, const std::string& key,
          const std::string& value, unsigned flags = 0) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_set_maxdbs(env, 3) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi;
  REQUIRE(mdb_dbi_open(txn, table, flags, &dbi) == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

std::unique_ptr<backend> open_or_fail(const std::filesystem::path& dir) {
  lmdb_options opts;
  opts.sweep_interval = 100ms;
  auto b = open_lmdb_backend(dir, opts);
  INFO((b.ok() ? "" : b.message()));
  REQUIRE(b.ok());
  return std::move(*b);
}

}  // namespace

TEST_CASE("a corrupt record gives a clear error and can be replaced or removed") {
  test::temp_dir dir;
  { REQUIRE(open_or_fail(dir.path())->put("/good", "v").ok()); }
  poke(dir.path(), "items", "/bad", "junk");
  poke(dir.path(), "items", "/worse", std::string(40, '\x07'));

  auto b = open_or_fail(dir.path());
  auto got = b->get("/bad");
  REQUIRE_FALSE(got.ok());
  CHECK(got.kind() == error_kind::io);
  CHECK_THAT(got.message(), Catch::Contains("/bad") && Catch::Contains("corrupt"));
  auto range = b->get_range("/");
  REQUIRE_FALSE(range.ok());
  CHECK_THAT(range.message(), Catch::Contains("corrupt"));
  CHECK(b->create("/bad", "x").kind() == error_kind::io);
  CHECK(b->compare_and_swap("/bad", "junk", "x").kind() == error_kind::io);
  CHECK(b->get("/good")->value == "v");

  REQUIRE(b->put("/bad", "fixed").ok());
  CHECK(b->get("/bad")->value == "fixed");
  REQUIRE(b->remove("/worse").ok());
  auto all = b->get_range("/");
  REQUIRE(all.ok());
  CHECK(all->size() == 2);
}

TEST_CASE("the sweeper gets past an expiry entry for a corrupt record") {
  test::temp_dir dir;
  { REQUIRE(open_or_fail(dir.path())->put("/seed", "v").ok()); }
  poke(dir.path(), "items", "/bad", "junk");
  poke(dir.path(), "expiry", record::expiry_index_key(1), "/bad", MDB_DUPSORT);

  auto b = open_or_fail(dir.path());
  test::event_log log;
  auto w = b->watch("/", log.callback());
  REQUIRE(w.ok());
  REQUIRE(b->put("/soon", "v", 200ms).ok());
  REQUIRE(log.wait_for_count(2, 3s));
  auto evs = log.events();
  CHECK(evs[1].type == event_type::remove);
  CHECK(evs[1].item.key == "/soon");
  // The corrupt record itself stays, for an operator to look at.
  CHECK(b->get("/bad").kind() == error_kind::io);
}
