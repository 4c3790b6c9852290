#include "actors/node/scp_stream.hpp"

#include <algorithm>

namespace tp::actors {

namespace {
constexpr std::size_t k_max_line = 4096;  // a path plus mode and length
}

void scp_stream::feed(std::string_view data) {
  while (!data.empty() && !lost_) {
    switch (state_) {
      case state::line: {
        const auto nl = data.find('\n');
        const auto take = nl == std::string_view::npos ? data.size() : nl;
        if (line_.size() + take > k_max_line) {
          lost_ = true;
          return;
        }
        line_.append(data.substr(0, take));
        if (nl == std::string_view::npos) return;
        data.remove_prefix(nl + 1);
        std::string line = std::move(line_);
        line_.clear();
        control(line);
        break;
      }
      case state::data: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, data.size()));
        bytes_ += n;
        left_ -= n;
        data.remove_prefix(n);
        if (left_ == 0) state_ = state::end_of_file;
        break;
      }
      case state::end_of_file:
        // The sender's '\0' (or an error byte) after the data.
        data.remove_prefix(1);
        state_ = state::line;
        break;
    }
  }
}

void scp_stream::control(const std::string& line) {
  if (line.empty()) {
    lost_ = true;
    return;
  }
  switch (line[0]) {
    case 'C': {
      // "C0644 <length> <name>"
      const auto sp = line.find(' ');
      const auto sp2 = sp == std::string::npos ? sp : line.find(' ', sp + 1);
      if (sp2 == std::string::npos || sp2 == sp + 1 || sp2 - sp - 1 > 20) {
        lost_ = true;
        return;
      }
      std::uint64_t len = 0;
      for (std::size_t i = sp + 1; i < sp2; ++i) {
        const char c = line[i];
        if (c < '0' || c > '9') {
          lost_ = true;
          return;
        }
        len = len * 10 + static_cast<std::uint64_t>(c - '0');
      }
      ++files_;
      left_ = len;
      state_ = len == 0 ? state::end_of_file : state::data;
      return;
    }
    case 'D':
    case 'E':
    case 'T':
    case '\x01':
    case '\x02':
      return;
    default:
      lost_ = true;
  }
}

}  // namespace tp::actors
