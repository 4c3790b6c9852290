// OS account lookup and the argv forms sessions use (shell -c, login shell).
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "transport/child_process.hpp"

namespace tp::transport {

namespace {

// Login names arrive from the network: quote them in messages without control bytes.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? char(c) : '?';
  return s.size() > 64 ? out + "..." : out;
}

result<os_user> from_passwd(const passwd& pw) {
  os_user u;
  u.name = pw.pw_name ? pw.pw_name : "";
  u.uid = pw.pw_uid;
  u.gid = pw.pw_gid;
  u.home = pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/";
  u.shell = pw.pw_shell && *pw.pw_shell ? pw.pw_shell : "/bin/sh";
  return u;
}

template <class Lookup>
result<os_user> lookup(Lookup&& fn, const std::string& what) {
  long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(hint > 0 ? static_cast<std::size_t>(hint) : 16384);
  for (int attempt = 0; attempt < 8; ++attempt) {
    passwd pw{};
    passwd* found = nullptr;
    const int rc = fn(&pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0) return make_error("cannot look up " + what + ": " + std::strerror(rc));
    if (!found) return make_error("unknown OS user " + what);
    return from_passwd(pw);
  }
  return make_error("cannot look up " + what + ": password database entry too large");
}

}  // namespace

result<os_user> lookup_os_user(const std::string& name) {
  const std::string what = "'" + printable(name) + "'";
  if (name.empty() || name.size() > 256 || name.find('\0') != std::string::npos ||
      name.find('/') != std::string::npos)
    return make_error("invalid OS user name " + what);
  return lookup([&](passwd* pw, char* buf, std::size_t n,
                    passwd** out) { return ::getpwnam_r(name.c_str(), pw, buf, n, out); },
                what);
}

result<os_user> current_os_user() {
  const uid_t uid = ::geteuid();
  return lookup([&](passwd* pw, char* buf, std::size_t n,
                    passwd** out) { return ::getpwuid_r(uid, pw, buf, n, out); },
                "uid " + std::to_string(uid));
}

std::vector<std::string> shell_command_argv(const os_user& user, const std::string& command) {
  return {user.shell, "-c", command};
}

std::vector<std::string> login_shell_argv(const os_user& user) {
  const auto slash = user.shell.rfind('/');
  return {"-" + (slash == std::string::npos ? user.shell : user.shell.substr(slash + 1))};
}

}  // namespace tp::transport
