// Filesystem side of opening an LMDB environment: a private directory, private
// files, and at most one open environment per directory in this process.
#pragma once

#include <filesystem>
#include <memory>

#include "persistence/backend.hpp"

namespace tp::persistence::lmdb {

// Creates dir (and missing parents) with mode 0700. bad_parameter if dir is
// empty or exists as something other than a directory.
db_status prepare_directory(const std::filesystem::path& dir);

// Brings data.mdb and lock.mdb down to 0600 if they are more open than that.
db_status restrict_file_modes(const std::filesystem::path& dir);

// Holds the claim that this process has dir open; released on destruction.
class open_claim {
 public:
  virtual ~open_claim() = default;
};

// io error if dir is already open in this process: LMDB's locks are per
// process, so a second environment on the same files would corrupt them.
db_result<std::unique_ptr<open_claim>> claim_directory(const std::filesystem::path& dir);

}  // namespace tp::persistence::lmdb
