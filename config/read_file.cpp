#include "config/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/values.hpp"

namespace tp::config {

result<std::string> read_small_file(const std::string& path, std::size_t max_size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return make_error("cannot read " + quote(path) + ": " + std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error("cannot read " + quote(path) + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return make_error("cannot read " + quote(path) + ": not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_size) {
    return make_error("cannot read " + quote(path) + ": larger than " + std::to_string(max_size) +
                      " bytes");
  }
  std::string data;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("cannot read " + quote(path) + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > max_size) {  // the file grew after fstat
      return make_error("cannot read " + quote(path) + ": larger than " + std::to_string(max_size) +
                        " bytes");
    }
  }
  return data;
}

}  // namespace tp::config
