// The audit log's durable part: one JSON object per line in
// <data_dir>/log/<YYYY-MM-DD>.00:00:00.log (UTC day of the event, Teleport's
// file layout), appended and fdatasync'ed before append() returns, so an
// acknowledged event survives a crash. Not thread-safe: owned by one actor.
#pragma once

#include <string>
#include <vector>

#include "messages/result.hpp"

namespace tp::actors {

class audit_file {
 public:
  explicit audit_file(std::string dir);  // <data_dir>/log
  ~audit_file();
  audit_file(const audit_file&) = delete;
  audit_file& operator=(const audit_file&) = delete;

  // Appends complete lines (each a JSON object without a newline) to the file
  // of `day` ("2026-11-24") and syncs once for the batch.
  tp::status append(const std::string& day, const std::vector<std::string>& lines);

  const std::string& dir() const { return dir_; }

 private:
  tp::status open_day(const std::string& day);

  std::string dir_;
  std::string day_;
  int fd_ = -1;
};

}  // namespace tp::actors
