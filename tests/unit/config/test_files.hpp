// Test helpers: fixture paths and a scratch directory removed at scope exit.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tp::config::test {

inline std::string fixture(const std::string& name) {
  // Appending step by step avoids a GCC 12 -Warray-bounds false positive.
  std::string path = TP_SOURCE_DIR;
  path += "/tests/data/config/";
  path += name;
  return path;
}

class scratch_dir {
 public:
  scratch_dir() {
    path_ = std::filesystem::temp_directory_path() /
            ("tp_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  // Writes `content` to <dir>/<name> and returns the full path.
  std::string write(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

}  // namespace tp::config::test
