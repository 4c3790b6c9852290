#include "actors/audit/audit_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tp::actors {

audit_file::audit_file(std::string dir) : dir_(std::move(dir)) {}

audit_file::~audit_file() {
  if (fd_ >= 0) ::close(fd_);
}

tp::status audit_file::open_day(const std::string& day) {
  if (fd_ >= 0 && day == day_) return {};
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return tp::make_error("cannot create the audit log directory " + dir_ + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  const std::string path = dir_ + "/" + day + ".00:00:00.log";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return tp::make_error("cannot open the audit log " + path + ": " + std::strerror(errno));
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  day_ = day;
  return {};
}

tp::status audit_file::append(const std::string& day, const std::vector<std::string>& lines) {
  if (lines.empty()) return {};
  if (auto st = open_day(day); !st) return st;
  std::string buf;
  for (const auto& l : lines) {
    buf += l;
    buf += '\n';
  }
  const char* p = buf.data();
  std::size_t left = buf.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tp::make_error("writing the audit log: " + std::string(std::strerror(errno)));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    return tp::make_error("syncing the audit log: " + std::string(std::strerror(errno)));
  }
  return {};
}

}  // namespace tp::actors
