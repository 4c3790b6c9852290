// The backend contract (backend_contract.hpp) on the LMDB backend.
#include "persistence/lmdb_backend.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace {

struct lmdb_fixture {
  tp::persistence::test::temp_dir dir;
  std::unique_ptr<tp::persistence::backend> open() {
    auto b = tp::persistence::open_lmdb_backend(dir.path());
    INFO((b.ok() ? "" : b.message()));
    REQUIRE(b.ok());
    return std::move(*b);
  }
};

}  // namespace

#define TP_BACKEND_FIXTURES lmdb_fixture
#include "tests/unit/persistence/backend_contract.hpp"
