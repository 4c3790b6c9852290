// Shared fixtures of the actors tests: a private temporary directory and an
// LMDB backend inside it.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "persistence/lmdb_backend.hpp"

namespace tp::test {

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tp-actors-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category());
    }
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::shared_ptr<persistence::backend> open_db(const temp_dir& dir) {
  auto db = persistence::open_lmdb_backend(dir.path() / "backend");
  REQUIRE(db);
  return std::shared_ptr<persistence::backend>(std::move(*db));
}

}  // namespace tp::test
