// Resources in the backend, one JSON record per resource (secrets included):
//   /users/<name> /roles/<name> /nodes/default/<name> /trusted_clusters/<name>
//   /connectors/<github|saml|oidc>/<name>
// Certificate authorities and tokens have their own stores (ca_store,
// token_registry) and are not written through here.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "messages/auth_api.hpp"
#include "persistence/backend.hpp"

namespace tp::actors::auth {

// The backend prefix of a kind; nullopt for kinds kept elsewhere.
std::optional<std::string> resource_prefix(messages::resource_kind kind);

class resource_store {
 public:
  explicit resource_store(std::shared_ptr<persistence::backend> db) : db_(std::move(db)) {}

  // Errors: already_exists (create_only), bad_parameter (name, kind).
  persistence::db_status put(const messages::resource& r, bool create_only,
                             persistence::ttl_ms ttl = persistence::no_ttl);
  persistence::db_result<messages::resource> get(messages::resource_kind kind,
                                                 const std::string& name);
  // Records that cannot be parsed are skipped (and logged by the caller's count).
  persistence::db_result<std::vector<messages::resource>> list(messages::resource_kind kind);
  persistence::db_status remove(messages::resource_kind kind, const std::string& name);

 private:
  std::shared_ptr<persistence::backend> db_;
  // Node records as last decoded, by key, with the JSON they came from. A host's
  // heartbeat rewrites its record every few seconds with the same text, so listing
  // thousands of nodes parses only the records that changed since the last listing.
  struct decoded {
    std::string json;
    messages::resource value;
  };
  std::mutex cache_mu_;
  std::unordered_map<std::string, decoded> node_cache_;
};

}  // namespace tp::actors::auth
