// A host's audit work on its own disk while auth is unreachable: one file per
// queued request (audit events or a recording chunk), encoded as on the wire,
// in <data_dir>/log/upload/<role>/ (0700, files 0600). Each file is synced
// before push() returns, so events survive a crash or restart of the host;
// the auth link sends the oldest first once auth answers again and removes a
// file only after auth acknowledged it. Not thread-safe: owned by the auth link.
//
// One process owns a spool directory (an flock on <dir>/.lock). During a
// graceful restart the old and the new process run side by side: the later
// one spools into <dir>.<pid>/ instead, and whoever owns <dir> next adopts
// the files of such directories whose process is gone, in order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "messages/auth_api.hpp"
#include "messages/result.hpp"
#include "persistence/file_lock.hpp"

namespace tp::actors {

inline constexpr std::uint64_t max_spool_bytes = 1ull << 30;

class audit_spool {
 public:
  explicit audit_spool(std::string dir);

  // Appends a request; when the spool would exceed max_spool_bytes the oldest
  // files are dropped (and reported in the error, which the caller logs).
  tp::status push(const messages::api_request& r);
  // The oldest request and its file; nullopt when empty. A file that cannot be
  // read back is moved aside (<name>.bad) and reported.
  std::optional<std::pair<std::string, messages::api_request>> front(std::string* problem);
  void pop(const std::string& path);

  bool empty() const { return files_ == 0; }
  std::size_t files() const { return files_; }
  const std::string& dir() const { return dir_; }

 private:
  void scan();
  void take_ownership();
  void adopt_orphans();

  std::string dir_;
  std::unique_ptr<persistence::file_lock> lock_;
  bool is_side_dir_ = false;
  std::uint64_t next_seq_ = 1;
  std::size_t files_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace tp::actors
