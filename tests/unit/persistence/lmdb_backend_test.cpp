// Core behaviour of the LMDB backend: CRUD, create/CAS semantics, ranges,
// batches, bad input, reopening, files on disk.
#include "persistence/lmdb_backend.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "test_support.hpp"

using namespace tp::persistence;

namespace {

std::unique_ptr<backend> open_or_fail(const std::filesystem::path& dir,
                                      const lmdb_options& opts = {}) {
  auto b = open_lmdb_backend(dir, opts);
  INFO((b.ok() ? "" : b.message()));
  REQUIRE(b.ok());
  return std::move(*b);
}

std::vector<std::string> keys_of(const std::vector<item>& items) {
  std::vector<std::string> out;
  for (const auto& it : items) out.push_back(it.key);
  return out;
}

std::size_t count_all(backend& b) {
  auto all = b.get_range("/");
  REQUIRE(all.ok());
  return all->size();
}

}  // namespace

TEST_CASE("put, get, overwrite and remove") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());

  auto missing = b->get("/users/joe");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.kind() == error_kind::not_found);
  CHECK_THAT(missing.message(), Catch::Contains("/users/joe"));

  auto r1 = b->put("/users/joe", R"({"name":"joe"})");
  REQUIRE(r1.ok());
  auto got = b->get("/users/joe");
  REQUIRE(got.ok());
  CHECK(got->key == "/users/joe");
  CHECK(got->value == R"({"name":"joe"})");
  CHECK_FALSE(got->expires);
  CHECK(got->revision == *r1);

  auto r2 = b->put("/users/joe", "v2");
  REQUIRE(r2.ok());
  CHECK(*r2 > *r1);
  CHECK(b->get("/users/joe")->value == "v2");

  std::string binary("\0\xff\x01 bytes", 9);
  REQUIRE(b->put("/bin", binary).ok());
  CHECK(b->get("/bin")->value == binary);
  REQUIRE(b->put("/empty", "").ok());
  CHECK(b->get("/empty")->value.empty());

  REQUIRE(b->remove("/users/joe").ok());
  CHECK(b->get("/users/joe").kind() == error_kind::not_found);
  auto again = b->remove("/users/joe");
  REQUIRE_FALSE(again.ok());
  CHECK(again.kind() == error_kind::not_found);
}

TEST_CASE("create only when absent") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  REQUIRE(b->create("/tokens/t1", "first").ok());
  auto dup = b->create("/tokens/t1", "second");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.kind() == error_kind::already_exists);
  CHECK_THAT(dup.message(), Catch::Contains("already exists"));
  CHECK(b->get("/tokens/t1")->value == "first");
  REQUIRE(b->remove("/tokens/t1").ok());
  CHECK(b->create("/tokens/t1", "third").ok());
  CHECK(b->get("/tokens/t1")->value == "third");
}

TEST_CASE("compare_and_swap distinguishes not found from compare failed") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());

  auto absent = b->compare_and_swap("/lock", "a", "b");
  REQUIRE_FALSE(absent.ok());
  CHECK(absent.kind() == error_kind::not_found);
  CHECK(b->get("/lock").kind() == error_kind::not_found);

  REQUIRE(b->put("/lock", "a").ok());
  auto wrong = b->compare_and_swap("/lock", "x", "b");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.kind() == error_kind::compare_failed);
  CHECK(b->get("/lock")->value == "a");

  // A prefix of the value is not the value.
  CHECK(b->compare_and_swap("/lock", "", "b").kind() == error_kind::compare_failed);

  auto ok = b->compare_and_swap("/lock", "a", "b");
  REQUIRE(ok.ok());
  auto now = b->get("/lock");
  CHECK(now->value == "b");
  CHECK(now->revision == *ok);
}

TEST_CASE("get_range is sorted and respects path boundaries") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  for (const char* k : {"/nodesX", "/nodes/b/c", "/other", "/nodes", "/nodes!", "/nodes/ab",
                        "/node", "/nodes/a", "/nodes.a"}) {
    REQUIRE(b->put(k, std::string("v") + k).ok());
  }
  auto subtree = b->get_range("/nodes");
  REQUIRE(subtree.ok());
  CHECK(keys_of(*subtree) ==
        std::vector<std::string>{"/nodes", "/nodes/a", "/nodes/ab", "/nodes/b/c"});
  CHECK((*subtree)[1].value == "v/nodes/a");

  CHECK(keys_of(*b->get_range("/nodes/")) ==
        std::vector<std::string>{"/nodes/a", "/nodes/ab", "/nodes/b/c"});
  CHECK(keys_of(*b->get_range("/nodes/a")) == std::vector<std::string>{"/nodes/a"});
  CHECK(keys_of(*b->get_range("/nodes", 2)) == std::vector<std::string>{"/nodes", "/nodes/a"});
  CHECK(b->get_range("/nodes", 0)->empty());
  CHECK(b->get_range("/missing")->empty());

  auto all = b->get_range("/");
  REQUIRE(all.ok());
  CHECK(all->size() == 9);
  CHECK(std::is_sorted(all->begin(), all->end(),
                       [](const item& x, const item& y) { return x.key < y.key; }));
}

TEST_CASE("remove_range removes exactly the subtree") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  for (const char* k : {"/nodes", "/nodes/a", "/nodes/b/c", "/nodesX", "/nodes!", "/x"}) {
    REQUIRE(b->put(k, "v").ok());
  }
  auto n = b->remove_range("/nodes");
  REQUIRE(n.ok());
  CHECK(*n == 3);
  CHECK(keys_of(*b->get_range("/")) == std::vector<std::string>{"/nodes!", "/nodesX", "/x"});
  CHECK(*b->remove_range("/nodes") == 0);
}

TEST_CASE("put_batch writes everything or nothing") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  std::vector<item> batch;
  for (int i = 0; i < 1000; ++i) {
    batch.push_back({"/batch/" + std::to_string(i), "value" + std::to_string(i), {}, 0});
  }
  REQUIRE(b->put_batch(batch).ok());
  auto all = b->get_range("/batch");
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1000);
  CHECK(b->get("/batch/517")->value == "value517");
  // Revisions are distinct and increasing in batch order.
  CHECK(b->get("/batch/1")->revision == b->get("/batch/0")->revision + 1);

  std::vector<item> bad{{"/ok/1", "v", {}, 0}, {"no-slash", "v", {}, 0}, {"/ok/2", "v", {}, 0}};
  auto r = b->put_batch(bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.kind() == error_kind::bad_parameter);
  CHECK_THAT(r.message(), Catch::Contains("no-slash"));
  CHECK(b->get_range("/ok")->empty());
  CHECK(b->put_batch({}).ok());
}

TEST_CASE("bad keys, prefixes and TTLs are rejected and write nothing") {
  test::temp_dir dir;
  auto b = open_or_fail(dir.path());
  REQUIRE(b->put("/keep", "v").ok());
  const std::string too_long = "/" + std::string(511, 'k');
  const std::string longest = "/" + std::string(510, 'k');
  for (const std::string& key :
       {std::string(), std::string("relative"), too_long, std::string("/a\0b", 4)}) {
    INFO("key of size " << key.size());
    auto p = b->put(key, "v");
    REQUIRE_FALSE(p.ok());
    CHECK(p.kind() == error_kind::bad_parameter);
    CHECK(b->create(key, "v").kind() == error_kind::bad_parameter);
    CHECK(b->compare_and_swap(key, "v", "w").kind() == error_kind::bad_parameter);
    CHECK(b->remove(key).kind() == error_kind::bad_parameter);
    CHECK(b->get(key).kind() == error_kind::bad_parameter);
    CHECK(b->get_range(key).kind() == error_kind::bad_parameter);
    CHECK(b->remove_range(key).kind() == error_kind::bad_parameter);
    CHECK(b->watch(key, [](const event&) {}).kind() == error_kind::bad_parameter);
  }
  CHECK(count_all(*b) == 1);

  REQUIRE(b->put(longest, "v").ok());
  CHECK(b->get(longest)->value == "v");

  auto zero = b->put("/ttl", "v", std::chrono::milliseconds(0));
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.kind() == error_kind::bad_parameter);
  CHECK_THAT(zero.message(), Catch::Contains("ttl"));
  CHECK(b->put("/ttl", "v", std::chrono::milliseconds(-5)).kind() == error_kind::bad_parameter);
  CHECK(b->create("/ttl", "v", std::chrono::hours(24 * 365 * 200)).kind() ==
        error_kind::bad_parameter);
  CHECK(b->get("/ttl").kind() == error_kind::not_found);
  CHECK(b->watch("/", nullptr).kind() == error_kind::bad_parameter);
}

TEST_CASE("data survives closing and reopening; revisions keep growing") {
  test::temp_dir dir;
  std::uint64_t last = 0;
  {
    auto b = open_or_fail(dir.path());
    REQUIRE(b->put("/persist/a", "alpha").ok());
    std::vector<item> batch{{"/persist/b", "beta", {}, 0}, {"/persist/c", "gamma", {}, 0}};
    REQUIRE(b->put_batch(batch).ok());
    REQUIRE(b->remove("/persist/c").ok());
    last = b->get("/persist/b")->revision;
  }
  auto b = open_or_fail(dir.path());
  CHECK(b->get("/persist/a")->value == "alpha");
  CHECK(b->get("/persist/b")->value == "beta");
  CHECK(b->get("/persist/c").kind() == error_kind::not_found);
  auto r = b->put("/persist/d", "delta");
  REQUIRE(r.ok());
  CHECK(*r > last + 1);  // the remove used a revision too
}

TEST_CASE("opening creates a private directory and private files") {
  test::temp_dir dir;
  auto nested = dir / "data" / "backend";
  auto old_mask = ::umask(0);
  auto b = open_lmdb_backend(nested);
  ::umask(old_mask);
  REQUIRE(b.ok());
  auto mode = [](const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
  };
  CHECK(mode(dir / "data") == 0700);
  CHECK(mode(nested) == 0700);
  CHECK(mode(nested / "data.mdb") == 0600);
  CHECK(mode(nested / "lock.mdb") == 0600);
}

TEST_CASE("opening fails clearly for bad paths and options") {
  test::temp_dir dir;
  auto file = dir / "plain-file";
  std::ofstream(file) << "not a directory";

  auto on_file = open_lmdb_backend(file);
  REQUIRE_FALSE(on_file.ok());
  CHECK(on_file.kind() == error_kind::bad_parameter);
  CHECK_THAT(on_file.message(),
             Catch::Contains("not a directory") && Catch::Contains("plain-file"));

  auto below_file = open_lmdb_backend(file / "sub");
  REQUIRE_FALSE(below_file.ok());
  CHECK_THAT(below_file.message(), Catch::Contains("not a directory"));
  CHECK_FALSE(std::filesystem::exists(file / "sub"));

  auto empty = open_lmdb_backend("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.kind() == error_kind::bad_parameter);

  lmdb_options tiny;
  tiny.map_size = 4096;
  auto bad_opts = open_lmdb_backend(dir / "db", tiny);
  REQUIRE_FALSE(bad_opts.ok());
  CHECK(bad_opts.kind() == error_kind::bad_parameter);
  CHECK_THAT(bad_opts.message(), Catch::Contains("map_size"));
}

TEST_CASE("the same directory cannot be opened twice in one process") {
  test::temp_dir dir;
  auto first = open_or_fail(dir.path());
  auto second = open_lmdb_backend(dir.path());
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.message(), Catch::Contains("already open"));
  REQUIRE(first->put("/still", "works").ok());
  first.reset();
  auto third = open_lmdb_backend(dir.path());
  REQUIRE(third.ok());
  CHECK((*third)->get("/still")->value == "works");
}

TEST_CASE("the map grows when it fills up") {
  test::temp_dir dir;
  lmdb_options opts;
  opts.map_size = 1 << 20;  // 1 MiB: the writes below need several times that
  {
    auto b = open_or_fail(dir.path(), opts);
    const std::string big(64 * 1024, 'x');
    for (int i = 0; i < 48; ++i) REQUIRE(b->put("/big/" + std::to_string(i), big).ok());
    std::vector<item> batch;
    for (int i = 0; i < 32; ++i) batch.push_back({"/batch/" + std::to_string(i), big, {}, 0});
    REQUIRE(b->put_batch(batch).ok());
    CHECK(count_all(*b) == 80);
  }
  auto b = open_or_fail(dir.path(), opts);
  CHECK(count_all(*b) == 80);
  CHECK(b->get("/big/47")->value.size() == 64 * 1024);
}
