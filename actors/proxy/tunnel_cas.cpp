#include "actors/proxy/tunnel_cas.hpp"

#include <nlohmann/json.hpp>

#include "transport/ssh_key.hpp"

namespace tp::actors {
namespace {

constexpr std::size_t max_announced_keys = 8;

bool read_keys(const nlohmann::json& j, const char* field, std::vector<std::string>& out) {
  auto it = j.find(field);
  if (it == j.end()) return true;
  if (!it->is_array() || it->size() > max_announced_keys) return false;
  for (const auto& k : *it) {
    if (!k.is_string()) return false;
    out.push_back(k.get<std::string>());
  }
  return true;
}

// Wire blobs of the lines, or nullopt if one does not parse (then nothing is asked).
std::optional<std::vector<std::string>> blobs_of(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    auto k = transport::public_key::from_authorized_key(line);
    if (!k) return std::nullopt;
    out.push_back(k->blob());
  }
  return out;
}

bool differs(const std::vector<std::string>& announced,
             const std::optional<std::vector<std::string>>& stored) {
  if (announced.empty() || !stored) return false;
  auto blobs = blobs_of(announced);
  return blobs && *blobs != *stored;
}

}  // namespace

void tunnel_self::set_cas(std::vector<std::string> user_ca_keys,
                          std::vector<std::string> host_ca_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  user_ = std::move(user_ca_keys);
  host_ = std::move(host_ca_keys);
}

std::string tunnel_self::answer() const {
  nlohmann::json j{{"ok", true}, {"cluster", cluster_}};
  std::lock_guard<std::mutex> lock(mu_);
  if (!user_.empty()) j["user_ca"] = user_;
  if (!host_.empty()) j["host_ca"] = host_;
  return j.dump();
}

std::string tunnel_self::heartbeat(std::size_t nodes) const {
  nlohmann::json j{{"cluster", cluster_}, {"nodes", nodes}};
  std::lock_guard<std::mutex> lock(mu_);
  if (!host_.empty()) j["host_ca"] = host_;
  return j.dump();
}

std::optional<announced_cas> parse_announced_cas(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  announced_cas out;
  if (auto it = j.find("cluster"); it != j.end()) {
    if (!it->is_string()) return std::nullopt;
    out.cluster = it->get<std::string>();
  }
  if (!read_keys(j, "user_ca", out.user_ca_keys) || !read_keys(j, "host_ca", out.host_ca_keys)) {
    return std::nullopt;
  }
  return out;
}

std::optional<messages::update_remote_cas_request> remote_ca_change(
    const std::string& cluster, const announced_cas& a,
    const std::optional<std::vector<std::string>>& stored_user_blobs,
    const std::optional<std::vector<std::string>>& stored_host_blobs) {
  if (a.cluster != cluster) return std::nullopt;
  messages::update_remote_cas_request r;
  r.cluster = cluster;
  if (differs(a.user_ca_keys, stored_user_blobs)) r.user_ca_keys = a.user_ca_keys;
  if (differs(a.host_ca_keys, stored_host_blobs)) r.host_ca_keys = a.host_ca_keys;
  if (r.user_ca_keys.empty() && r.host_ca_keys.empty()) return std::nullopt;
  return r;
}

}  // namespace tp::actors
