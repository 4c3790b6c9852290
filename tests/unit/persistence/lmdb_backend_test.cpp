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

std::size_t count_all(backend& b) {
  auto all = b.get_range("/");
  REQUIRE(all.ok());
  return all->size();
}

}  // namespace

// (The backend contract, backend_contract.hpp, covers what every backend does.)
TEST_CASE("put_batch of 1000 items gives each its own revision") {
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
}

TEST_CASE("data survives closing and reopening, revisions keep growing") {
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
