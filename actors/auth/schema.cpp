#include "actors/auth/schema.hpp"

#include <charconv>

#include "messages/cert_authority.hpp"
#include "messages/resource.hpp"

namespace tp::actors::auth {
namespace {

constexpr std::string_view authorities_prefix = "/authorities/";

tp::result<int> stored_version(persistence::backend& db) {
  auto got = db.get(schema_version_key);
  if (got) {
    int v = 0;
    const auto& s = got->value;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v < 1) {
      std::string why(schema_version_key);
      why.append(" holds \"")
          .append(s)
          .append(
              "\", not a schema version; restore the backend "
              "from a backup");
      return make_error(std::move(why));
    }
    return v;
  }
  if (!got.is(persistence::error_kind::not_found))
    return make_error("cannot read the storage schema version: " + got.message());
  // No version: an empty store is new, anything else was written by version 1.
  auto any = db.get_range("/", 1);
  if (!any) return make_error("cannot read the backend: " + any.message());
  return any->empty() ? 0 : 1;
}

// 1 -> 2: CA records get the rotation state of a CA never rotated.
tp::result<int> add_rotation_state(persistence::backend& db) {
  auto items = db.get_range(authorities_prefix);
  if (!items) return make_error("cannot read the CAs: " + items.message());
  int changed = 0;
  for (const auto& it : *items) {
    auto ca = messages::as_kind<messages::cert_authority>(messages::parse_resource_json(it.value));
    if (!ca)
      return make_error("the stored record " + it.key + " is damaged (" + ca.message() +
                        "); restore the backend from a backup");
    auto& r = ca->spec.rotation_state;
    if (!r.state.empty()) continue;
    r.state = "standby";
    if (r.phase.empty()) r.phase = "standby";
    const std::string raw = messages::to_json(messages::resource{*ca}, true).dump();
    auto swapped = db.compare_and_swap(it.key, it.value, raw);
    // Another auth server migrating the same record at the same moment is fine.
    if (!swapped && !swapped.is(persistence::error_kind::compare_failed))
      return make_error("cannot update " + it.key + ": " + swapped.message());
    if (swapped) ++changed;
  }
  return changed;
}

}  // namespace

tp::result<schema_migration> migrate_schema(persistence::backend& db) {
  auto found = stored_version(db);
  if (!found) return found.err();
  schema_migration out{*found, current_schema_version, 0};
  if (*found > current_schema_version)
    return make_error("the backend was written by a newer teleport (storage schema " +
                      std::to_string(*found) + "; this one knows up to " +
                      std::to_string(current_schema_version) +
                      "): run that version, or restore the backup taken before the upgrade");
  if (*found == current_schema_version) return out;
  if (*found == 1) {
    auto n = add_rotation_state(db);
    if (!n) return make_error("migrating the storage schema from 1 to 2: " + n.message());
    out.records_changed += *n;
  }
  auto put = db.put(schema_version_key, std::to_string(current_schema_version));
  if (!put) return make_error("cannot store the storage schema version: " + put.message());
  return out;
}

}  // namespace tp::actors::auth
