// Helpers for the X.509/TLS tests: a scratch directory and running openssl(1).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "transport/x509_ca.hpp"

namespace tp::transport::test {

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tp_x509_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string file(const std::string& name, const std::string& contents) const {
    auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << contents;
    return p.string();
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct command_output {
  int status = -1;
  std::string out;
};

// Runs a shell command (arguments are our own temp paths, never user input).
inline command_output run(const std::string& cmd) {
  command_output r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = pclose(p);
  return r;
}

inline std::string pem(const x509_certificate& c) {
  return c.to_pem().value();
}

inline leaf_request leaf(std::string name, std::vector<std::string> roles,
                         std::vector<std::string> hosts = {},
                         std::chrono::hours lifetime = std::chrono::hours(1)) {
  auto now = std::chrono::system_clock::now();
  return leaf_request{std::move(name), std::move(roles), std::move(hosts),
                      now - std::chrono::minutes(1), now + lifetime};
}

}  // namespace tp::transport::test
