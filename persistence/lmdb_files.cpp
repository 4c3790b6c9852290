#include "persistence/lmdb_files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>

namespace tp::persistence::lmdb {

namespace {

std::string quoted(const std::filesystem::path& p) {
  return "\"" + p.string() + "\"";
}

db_status errno_failure(std::string_view what, const std::filesystem::path& p, int err) {
  return {error_kind::io, std::string(what) + " " + quoted(p) + ": " + std::strerror(err)};
}

std::mutex claims_mu;
std::set<std::pair<dev_t, ino_t>> claims;

class directory_claim final : public open_claim {
 public:
  explicit directory_claim(std::pair<dev_t, ino_t> id) : id_(id) {}
  ~directory_claim() override {
    std::lock_guard lock(claims_mu);
    claims.erase(id_);
  }

 private:
  std::pair<dev_t, ino_t> id_;
};

}  // namespace

db_status prepare_directory(const std::filesystem::path& dir) {
  if (dir.empty()) return {error_kind::bad_parameter, "the storage directory path is empty"};
  // Create each missing component ourselves: std::filesystem would use 0777.
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    struct stat st {};
    if (::stat(partial.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return {error_kind::bad_parameter, "storage directory " + quoted(dir) +
                                               " cannot be used: " + quoted(partial) +
                                               " exists and is not a directory"};
      }
      continue;
    }
    if (errno != ENOENT) return errno_failure("cannot inspect", partial, errno);
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return errno_failure("cannot create directory", partial, errno);
    }
  }
  return {};
}

db_status restrict_file_modes(const std::filesystem::path& dir) {
  for (const char* name : {"data.mdb", "lock.mdb"}) {
    auto file = dir / name;
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return errno_failure("cannot inspect", file, errno);
    }
    if ((st.st_mode & 077) != 0 && ::chmod(file.c_str(), 0600) != 0) {
      return errno_failure("cannot make private (chmod 0600)", file, errno);
    }
  }
  return {};
}

db_result<std::unique_ptr<open_claim>> claim_directory(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return error_as<std::unique_ptr<open_claim>>(errno_failure("cannot inspect", dir, errno));
  }
  std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
  std::lock_guard lock(claims_mu);
  if (!claims.insert(id).second) {
    return {error_kind::io, "storage directory " + quoted(dir) +
                                " is already open in this process; close it first"};
  }
  return std::unique_ptr<open_claim>(std::make_unique<directory_claim>(id));
}

}  // namespace tp::persistence::lmdb
