#include "actors/host/auth_list.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "messages/version.hpp"
#include "transport/key_files.hpp"

namespace tp::actors {
namespace {

std::string file_of(const std::string& data_dir) {
  return data_dir + "/authservers.json";
}

}  // namespace

bool auth_knows_auth_list(std::string_view server_version) {
  auto v = parse_semver(server_version);
  return v && (v->major > 0 || v->minor >= 2);
}

std::optional<std::vector<config::address>> read_auth_servers_file(const std::string& data_dir) {
  std::ifstream in(file_of(data_dir));
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) {
    spdlog::warn("{} is not a JSON array: ignored", file_of(data_dir));
    return std::nullopt;
  }
  std::vector<config::address> out;
  for (const auto& e : j) {
    if (!e.is_string()) continue;
    if (auto a = config::parse_address(e.get<std::string>(), config::address_kind::auth)) {
      out.push_back(*a);
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

tp::status write_auth_servers_file(const std::string& data_dir,
                                   const std::vector<config::address>& list) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& a : list) j.push_back(a.to_string());
  return transport::write_file_atomically(file_of(data_dir), j.dump() + "\n", 0600);
}

tp::status learn_auth_servers(auth_client& client, auth_servers& auths, const std::string& data_dir,
                              const std::string& role) {
  auto r = client.call_as(messages::auth_servers_request{}, std::chrono::seconds{10});
  if (!r) return r.err();
  std::vector<config::address> list;
  for (const auto& s : r->events) {
    auto a = config::parse_address(s, config::address_kind::auth);
    if (!a) return make_error("auth announced a bad auth server address \"" + s + "\"");
    list.push_back(*a);
  }
  if (list.empty() || list == auths.addresses()) return {};
  if (auto st = write_auth_servers_file(data_dir, list); !st) {
    spdlog::warn("{}: cannot store the auth servers in {}: {}", role, file_of(data_dir),
                 st.message());
  }
  auths.replace(list);
  spdlog::info("{}: the cluster's auth servers are {}", role, auths.describe());
  return {};
}

}  // namespace tp::actors
