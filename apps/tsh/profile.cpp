#include "apps/tsh/profile.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "config/address.hpp"
#include "transport/key_files.hpp"

namespace tp::apps::tsh {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_profile_bytes = 64 * 1024;

config::address parsed(const std::string& addr, std::uint16_t default_port) {
  auto a = config::parse_address(addr, default_port);
  return a ? *a : config::address{addr, default_port};
}

status make_private_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error("cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(dir.string() + " is not a directory");
  }
  // Keys live below: nobody else may list or enter it.
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return make_error("cannot chmod 0700 " + dir.string() + ": " + std::strerror(errno));
  }
  return {};
}

status remove_file(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return make_error("cannot remove " + path.string() + ": " + ec.message());
  return {};
}

}  // namespace

std::string profile::name() const {
  return parsed(web_proxy_addr, 3080).host;
}
std::string profile::web_host() const {
  return parsed(web_proxy_addr, 3080).host;
}
std::string profile::ssh_host() const {
  return parsed(ssh_proxy_addr, 3023).host;
}
std::uint16_t profile::ssh_port() const {
  return parsed(ssh_proxy_addr, 3023).port;
}
std::string profile::url() const {
  return std::string(plain_http ? "http://" : "https://") +
         parsed(web_proxy_addr, 3080).to_string();
}

fs::path tsh_home() {
  if (const char* t = std::getenv("TELEPORT_HOME"); t != nullptr && *t != '\0') return t;
  const char* home = std::getenv("HOME");
  std::string h = home != nullptr ? home : "";
  if (h.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
      h = pw->pw_dir;
    }
  }
  if (h.empty()) h = "/";
  return fs::path(h) / ".tsh";
}

fs::path known_hosts_path() {
  return tsh_home() / "known_hosts";
}

key_paths keys_of(const profile& p) {
  key_paths k;
  k.dir = tsh_home() / "keys" / p.name();
  k.key = k.dir / p.user;
  k.pub = k.dir / (p.user + ".pub");
  k.cert = k.dir / (p.user + "-cert.pub");
  return k;
}

status ensure_dirs(const profile& p) {
  for (const fs::path& d : {tsh_home(), tsh_home() / "keys", keys_of(p).dir}) {
    if (auto s = make_private_dir(d); !s) return s;
  }
  return {};
}

status check_user_name(std::string_view user) {
  if (user.empty()) return make_error("the user name is empty");
  if (user.size() > 255) return make_error("the user name is longer than 255 characters");
  if (user == "." || user == "..")
    return make_error("invalid user name \"" + std::string(user) + "\"");
  for (char c : user) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '@' || c == '+';
    if (!ok) {
      return make_error("invalid user name \"" + std::string(user) +
                        "\": use letters, digits and . _ - @ +");
    }
  }
  return {};
}

status check_profile_name(std::string_view name) {
  // Proxy hosts are DNS names or IP literals: parse_address checks exactly that.
  if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..") {
    return make_error("invalid proxy host \"" + std::string(name) + "\"");
  }
  std::string text(name);
  if (name.find(':') != std::string_view::npos) text = "[" + text + "]";
  if (auto a = config::parse_address(text, 3080); !a) {
    return make_error("invalid proxy host \"" + std::string(name) + "\": " + a.message());
  }
  return {};
}

status save_profile(const profile& p) {
  if (auto s = check_profile_name(p.name()); !s) return s;
  if (auto s = ensure_dirs(p); !s) return s;
  nlohmann::json j = {{"web_proxy_addr", p.web_proxy_addr},
                      {"ssh_proxy_addr", p.ssh_proxy_addr},
                      {"user", p.user},
                      {"cluster", p.cluster},
                      {"insecure", p.insecure},
                      {"plain_http", p.plain_http},
                      {"proxy_host_key", p.proxy_host_key}};
  if (auto s =
          transport::write_file_atomically(tsh_home() / (p.name() + ".json"), j.dump(2) + "\n");
      !s) {
    return s;
  }
  return transport::write_file_atomically(tsh_home() / "current-profile", p.name() + "\n");
}

result<profile> load_profile(std::string_view name) {
  if (auto s = check_profile_name(name); !s) return s.err();
  const fs::path path = tsh_home() / (std::string(name) + ".json");
  auto text = transport::read_small_file(path, k_max_profile_bytes);
  if (!text) return make_error("not logged in to " + std::string(name) + ": " + text.message());
  try {
    const auto j = nlohmann::json::parse(*text);
    profile p;
    p.web_proxy_addr = j.at("web_proxy_addr").get<std::string>();
    p.ssh_proxy_addr = j.at("ssh_proxy_addr").get<std::string>();
    p.user = j.at("user").get<std::string>();
    p.cluster = j.value("cluster", "");
    p.insecure = j.value("insecure", false);
    p.plain_http = j.value("plain_http", false);
    p.proxy_host_key = j.value("proxy_host_key", "");
    if (auto s = check_user_name(p.user); !s) return make_error(path.string() + ": " + s.message());
    if (p.name() != name) {
      return make_error(path.string() + " names the proxy " + p.web_proxy_addr + ", not " +
                        std::string(name));
    }
    return p;
  } catch (const nlohmann::json::exception& e) {
    return make_error(path.string() + " is not a valid profile (" + e.what() +
                      "); run tsh login again");
  }
}

result<std::optional<profile>> load_current_profile() {
  const fs::path path = tsh_home() / "current-profile";
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<profile>{};
  auto text = transport::read_small_file(path, 4096);
  if (!text) return text.err();
  std::string name = *text;
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r' || name.back() == ' ')) {
    name.pop_back();
  }
  if (name.empty()) return std::optional<profile>{};
  const fs::path json = tsh_home() / (name + ".json");
  if (check_profile_name(name) && !fs::exists(json, ec)) return std::optional<profile>{};
  auto p = load_profile(name);
  if (!p) return p.err();
  return std::optional<profile>{std::move(*p)};
}

status remove_profile(const profile& p) {
  const key_paths k = keys_of(p);
  for (const fs::path& f : {k.key, k.pub, k.cert, tsh_home() / (p.name() + ".json")}) {
    if (auto s = remove_file(f); !s) return s;
  }
  std::error_code ec;
  fs::remove(k.dir, ec);  // only when empty: other users of the same proxy keep their keys
  const fs::path current = tsh_home() / "current-profile";
  if (auto text = transport::read_small_file(current, 4096)) {
    std::string name = *text;
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
    if (name == p.name()) return remove_file(current);
  }
  return {};
}

}  // namespace tp::apps::tsh
