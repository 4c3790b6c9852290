#include "actors/auth/resource_store.hpp"

#include <spdlog/spdlog.h>

namespace tp::actors::auth {
namespace {

using persistence::db_result;
using persistence::db_status;
using persistence::error_kind;

db_result<std::string> key_of(messages::resource_kind kind, const std::string& name) {
  auto prefix = resource_prefix(kind);
  if (!prefix) {
    return {error_kind::bad_parameter,
            "resources of kind " + std::string(to_string(kind)) + " are not stored here"};
  }
  if (auto st = messages::validate_name(name); !st) {
    return {error_kind::bad_parameter, st.message()};
  }
  return *prefix + "/" + name;
}

}  // namespace

std::optional<std::string> resource_prefix(messages::resource_kind kind) {
  using k = messages::resource_kind;
  switch (kind) {
    case k::user:
      return "/users";
    case k::role:
      return "/roles";
    case k::node:
      return "/nodes/default";
    case k::trusted_cluster:
      return "/trusted_clusters";
    case k::github:
      return "/connectors/github";
    case k::saml:
      return "/connectors/saml";
    case k::oidc:
      return "/connectors/oidc";
    case k::cert_authority:
    case k::token:
      return std::nullopt;
  }
  return std::nullopt;
}

db_status resource_store::put(const messages::resource& r, bool create_only,
                              persistence::ttl_ms ttl) {
  auto key = key_of(messages::kind_of(r), messages::meta_of(r).name);
  if (!key) return persistence::error_as<void>(key);
  const std::string value = messages::to_json(r, true).dump();
  if (create_only) {
    auto rev = db_->create(*key, value, ttl);
    if (!rev) return persistence::error_as<void>(rev);
    return {};
  }
  auto rev = db_->put(*key, value, ttl);
  if (!rev) return persistence::error_as<void>(rev);
  return {};
}

db_result<messages::resource> resource_store::get(messages::resource_kind kind,
                                                  const std::string& name) {
  auto key = key_of(kind, name);
  if (!key) return persistence::error_as<messages::resource>(key);
  auto it = db_->get(*key);
  if (!it) return persistence::error_as<messages::resource>(it);
  auto r = messages::parse_resource_json(it->value);
  if (!r) return {error_kind::io, "stored record " + *key + " is unreadable: " + r.message()};
  return std::move(*r);
}

db_result<std::vector<messages::resource>> resource_store::list(messages::resource_kind kind) {
  auto prefix = resource_prefix(kind);
  if (!prefix) {
    return {error_kind::bad_parameter,
            "resources of kind " + std::string(to_string(kind)) + " are not stored here"};
  }
  auto items = db_->get_range(*prefix);
  if (!items) return persistence::error_as<std::vector<messages::resource>>(items);
  const bool cached = kind == messages::resource_kind::node;
  std::unique_lock<std::mutex> lock(cache_mu_, std::defer_lock);
  std::unordered_map<std::string, decoded> seen;  // the cache after this listing
  if (cached) lock.lock();
  std::vector<messages::resource> out;
  out.reserve(items->size());
  for (auto& it : *items) {
    // Only direct children: /nodes/default/x, never deeper paths.
    if (it.key.find('/', prefix->size() + 1) != std::string::npos) continue;
    if (cached) {
      if (auto hit = node_cache_.find(it.key);
          hit != node_cache_.end() && hit->second.json == it.value) {
        out.push_back(hit->second.value);
        seen.emplace(std::move(it.key), std::move(hit->second));
        continue;
      }
    }
    auto r = messages::parse_resource_json(it.value);
    if (!r) {
      spdlog::warn("skipping unreadable record {}: {}", it.key, r.message());
      continue;
    }
    out.push_back(std::move(*r));
    if (cached) seen.emplace(std::move(it.key), decoded{std::move(it.value), out.back()});
  }
  if (cached) node_cache_ = std::move(seen);  // records gone from the backend leave it
  return out;
}

db_status resource_store::remove(messages::resource_kind kind, const std::string& name) {
  auto key = key_of(kind, name);
  if (!key) return persistence::error_as<void>(key);
  return db_->remove(*key);
}

}  // namespace tp::actors::auth
