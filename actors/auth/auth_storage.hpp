// The auth service's durable state: opening the configured backend and the
// cluster identity kept in it.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "messages/result.hpp"
#include "persistence/backend.hpp"

namespace tp::actors::auth {

// Backend key holding the cluster name chosen on the first start.
inline constexpr const char* cluster_name_key = "/cluster_configuration/name";

// Opens the backend named by `storage` (the embedded LMDB store under
// data_dir/backend unless storage.path is set).
tp::result<std::shared_ptr<persistence::backend>> open_backend(const config::teleport_config& cfg);

// Returns the cluster name: the stored one, or on first start `configured`
// (or a generated one when empty), stored for later starts. A configured name
// that differs from the stored one is an error, because every certificate the
// cluster issued names it.
tp::result<std::string> load_or_create_cluster_name(persistence::backend& db,
                                                    const std::string& configured);

}  // namespace tp::actors::auth
