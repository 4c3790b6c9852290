#include "actors/process/data_dir.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace tp::actors {

tp::status ensure_private_dir(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir(path);
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return make_error("data_dir " + path + " exists but is not a directory");
  }
  if (!fs::exists(dir, ec)) {
    if (dir.has_parent_path() && !fs::exists(dir.parent_path(), ec)) {
      fs::create_directories(dir.parent_path(), ec);
      if (ec) {
        return make_error("cannot create " + dir.parent_path().string() + ": " + ec.message());
      }
    }
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return make_error("cannot create data_dir " + path + ": " + std::strerror(errno) +
                        " (run as a user that may write there, or set teleport.data_dir)");
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error("cannot stat data_dir " + path + ": " + std::strerror(errno));
  }
  if (st.st_uid == ::geteuid() && (st.st_mode & 0777) != 0700) {
    if (::chmod(path.c_str(), 0700) != 0) {
      return make_error("cannot set mode 0700 on data_dir " + path + ": " + std::strerror(errno));
    }
  }
  if (::access(path.c_str(), R_OK | W_OK | X_OK) != 0) {
    return make_error("data_dir " + path + " is not writable by this user: " +
                      std::strerror(errno));
  }
  return {};
}

tp::status write_pid_file(const std::string& path) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error("cannot write PID file " + path + ": " + std::strerror(errno));
  }
  const std::string text = std::to_string(::getpid()) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return make_error("cannot write PID file " + path + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace tp::actors
