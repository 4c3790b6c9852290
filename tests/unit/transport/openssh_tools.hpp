// Test helpers: a private temporary directory and running OpenSSH's tools in it.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace tp::transport::test {

// mkdtemp directory (0700), removed with its contents on destruction.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tp-ssh-test.XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct command_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command with a time limit and the UTC time zone (ssh-keygen -L prints
// local times); never reads from the terminal.
inline command_result run(const std::string& cmd, int timeout_seconds = 60) {
  const std::string full =
      "TZ=UTC timeout " + std::to_string(timeout_seconds) + " " + cmd + " </dev/null 2>&1";
  command_result r;
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The "type base64" part of a public key line (drops the comment and line break).
inline std::string key_part(const std::string& line) {
  const auto sp1 = line.find(' ');
  if (sp1 == std::string::npos) return line;
  const auto sp2 = line.find_first_of(" \r\n", sp1 + 1);
  return line.substr(0, sp2);
}

}  // namespace tp::transport::test
