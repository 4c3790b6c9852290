// The audit log's search index in LMDB (<data_dir>/log/index): one key per
// event, /audit/<day>/<unix seconds>.<nanos>/<uid> -> "<offset> <length>
// <type>", pointing at its line in the day file, so a query by time and type
// reads only the matching lines instead of parsing whole days.
//
// The day files stay the record; the index only speeds reads up. A day is
// answered from the index only when the index covers its file from the first
// byte to the last (/audit_days/<day> = bytes covered); otherwise (a file
// older than the index, a failed index write) the reader scans the file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace tp::persistence {
class backend;
}

namespace tp::actors {

// Where one event's line is in its day file.
struct line_ref {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // without the newline
  std::int64_t unix_seconds = 0;
  std::int32_t nanos = 0;
  std::string type;
  std::string uid;
};

class audit_index {
 public:
  // nullptr (and a warning in `why`) when the index cannot be opened: the
  // audit log then works without it.
  static std::unique_ptr<audit_index> open(const std::string& log_dir, std::string* why);
  ~audit_index();

  // Lines just appended to `day`'s file, which is now `file_size` bytes long.
  // Indexed only when they continue what the index covers.
  tp::status add(const std::string& day, const std::vector<line_ref>& lines,
                 std::uint64_t file_size);

  // The lines of `day` with since <= time < until and the type (empty: any),
  // oldest first, at most `limit`; nullopt when the index does not cover the
  // day file of `file_size` bytes.
  std::optional<std::vector<line_ref>> find(const std::string& day, std::uint64_t file_size,
                                            std::int64_t since, std::int64_t until,
                                            const std::string& type, std::size_t limit) const;

 private:
  explicit audit_index(std::unique_ptr<persistence::backend> db);
  std::unique_ptr<persistence::backend> db_;
};

}  // namespace tp::actors
