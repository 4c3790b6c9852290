// Follows one direction of a legacy scp (rcp protocol) transfer -- the sending
// side -- and counts the file bytes in it, for the scp audit event's `len`.
// The sender writes control lines: "C<mode> <length> <name>\n" announces
// <length> bytes of file data and a '\0' after them; "D..." / "E" (directories),
// "T..." (times) and "\x01..." / "\x02..." (warnings, errors) carry no data.
// Acknowledgements travel the other way and are not seen here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tp::actors {

class scp_stream {
 public:
  void feed(std::string_view data);
  std::uint64_t bytes() const { return bytes_; }  // file data announced and seen
  std::uint64_t files() const { return files_; }
  // Not an scp stream after all (an oversized or unknown control line): counting stopped.
  bool lost() const { return lost_; }

 private:
  void control(const std::string& line);

  enum class state { line, data, end_of_file } state_ = state::line;
  std::string line_;
  std::uint64_t left_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t files_ = 0;
  bool lost_ = false;
};

}  // namespace tp::actors
