// The version of what auth keeps in its backend, and the migrations between
// versions, run once at auth's start before anything else reads the store.
//
//   1  (no /meta/schema_version key) the first releases.
//   2  every cert_authority record carries a rotation state (`tctl auth rotate`);
//      a CA never rotated is in phase standby.
//
// A store written by a newer version is refused rather than misread: downgrading
// auth needs the backup taken before the upgrade.
#pragma once

#include <string_view>

#include "messages/result.hpp"
#include "persistence/backend.hpp"

namespace tp::actors::auth {

inline constexpr int current_schema_version = 2;
inline constexpr std::string_view schema_version_key = "/meta/schema_version";

struct schema_migration {
  int from = 0;  // the version found (0: an empty store)
  int to = 0;    // current_schema_version
  int records_changed = 0;
};

// Brings the store to current_schema_version. Each step is idempotent and the
// version is written last, so a start interrupted midway runs the step again.
tp::result<schema_migration> migrate_schema(persistence::backend& db);

}  // namespace tp::actors::auth
