#include "transport/key_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tp::transport {

namespace {

error errno_error(std::string_view action, const std::filesystem::path& path) {
  return make_error(std::string(action) + " " + path.string() + ": " + std::strerror(errno));
}

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) return errno_error("cannot open", path);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return errno_error("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return make_error(path.string() + " is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return make_error(path.string() + " is " + std::to_string(st.st_size) +
                      " bytes, more than the " + std::to_string(max_bytes) + " expected");
  }
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("cannot read", path);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) return make_error(path.string() + " grew while being read");
  }
  return out;
}

status write_file_atomically(const std::filesystem::path& path, std::string_view data,
                             unsigned mode) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::string tmpl = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  // mkstemp creates the file with mode 0600, so a secret is never readable by others.
  fd_guard f{::mkstemp(tmpl.data())};
  if (f.fd < 0) return errno_error("cannot create a temporary file next to", path);
  auto fail = [&](std::string_view action) {
    error e = errno_error(action, tmpl);
    ::unlink(tmpl.c_str());
    return e;
  };
  if (::fchmod(f.fd, static_cast<mode_t>(mode)) != 0) return fail("cannot chmod");
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(f.fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) return fail("cannot fsync");
  if (::close(f.fd) != 0) {
    f.fd = -1;
    return fail("cannot close");
  }
  f.fd = -1;
  if (::rename(tmpl.c_str(), path.c_str()) != 0) return fail("cannot rename into place");
  // Make the rename durable too.
  fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd >= 0) ::fsync(d.fd);
  return {};
}

}  // namespace tp::transport
