#include "actors/auth/auth_storage.hpp"

#include <cstdio>
#include <filesystem>

#include "actors/auth/dynamodb_storage.hpp"
#include "actors/auth/etcd_storage.hpp"
#include "actors/identity/secrets.hpp"
#include "actors/metrics/timed_backend.hpp"
#include "persistence/lmdb_backend.hpp"

namespace tp::actors::auth {

tp::result<std::shared_ptr<persistence::backend>> open_backend(const config::teleport_config& cfg) {
  const auto& storage = cfg.global.storage;
  if (storage.type == config::storage_type::etcd) {
    auto db = open_etcd_storage(storage.etcd);
    if (!db) return db.err();
    return metrics::timed(std::shared_ptr<persistence::backend>(std::move(*db)), "etcd");
  }
  if (storage.type == config::storage_type::dynamodb) {
    auto db = open_dynamodb_storage(storage.dynamodb);
    if (!db) return db.err();
    return metrics::timed(std::shared_ptr<persistence::backend>(std::move(*db)), "dynamodb");
  }
  const std::filesystem::path dir = storage.path.empty()
                                        ? std::filesystem::path(cfg.global.data_dir) / "backend"
                                        : std::filesystem::path(storage.path);
  auto db = persistence::open_lmdb_backend(dir);
  if (!db) return make_error("cannot open storage in " + dir.string() + ": " + db.message());
  return metrics::timed(std::shared_ptr<persistence::backend>(std::move(*db)), "lmdb");
}

tp::result<std::string> load_or_create_cluster_name(persistence::backend& db,
                                                    const std::string& configured) {
  auto stored = db.get(cluster_name_key);
  if (stored) {
    const std::string& name = stored->value;
    if (!configured.empty() && configured != name) {
      return make_error("auth_service.cluster_name is \"" + configured +
                        "\" but this cluster was created as \"" + name +
                        "\"; changing it would invalidate every certificate: restore the old "
                        "name, or wipe data_dir to start a new cluster");
    }
    return name;
  }
  if (!stored.is(persistence::error_kind::not_found)) {
    return make_error("cannot read the cluster name: " + stored.message());
  }
  const std::string name = configured.empty() ? random_uuid() : configured;
  auto created = db.create(cluster_name_key, name);
  if (!created) {
    // Another auth server sharing the backend may have won the race: use its name.
    if (created.is(persistence::error_kind::already_exists)) {
      return load_or_create_cluster_name(db, configured);
    }
    return make_error("cannot store the cluster name: " + created.message());
  }
  return name;
}

}  // namespace tp::actors::auth
