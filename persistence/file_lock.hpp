// An exclusive advisory lock (flock) on a file in data_dir, held while the
// object lives: one process at a time owns what the lock guards (the auth
// service's store and audit log, a host's audit spool). The file records the
// holder's pid for the error message. The lock dies with the process, so a
// crash never leaves it behind.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "messages/result.hpp"

namespace tp::persistence {

class file_lock {
 public:
  ~file_lock();
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  const std::string& path() const { return path_; }

 private:
  friend tp::result<std::unique_ptr<file_lock>> lock_file(const std::string&,
                                                          std::chrono::milliseconds);
  file_lock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

// Takes the lock, retrying for up to `wait` (zero: one try). The error names
// the pid that holds it.
tp::result<std::unique_ptr<file_lock>> lock_file(const std::string& path,
                                                 std::chrono::milliseconds wait);

}  // namespace tp::persistence
