// Opening the LMDB backend: directory, environment, tables, then hand-off.
#include <lmdb.h>

#include "persistence/key_path.hpp"
#include "persistence/lmdb_backend.hpp"
#include "persistence/lmdb_files.hpp"
#include "persistence/lmdb_util.hpp"
#include "persistence/record.hpp"

namespace tp::persistence {

namespace {

using lmdb::failure;
using lmdb::from_val;
using lmdb::to_val;

db_status check_options(const lmdb_options& o) {
  if (o.map_size < (std::size_t{1} << 20)) {
    return {error_kind::bad_parameter, "map_size must be at least 1 MiB"};
  }
  if (o.max_readers == 0) return {error_kind::bad_parameter, "max_readers must be positive"};
  if (o.sweep_interval.count() <= 0) {
    return {error_kind::bad_parameter, "sweep_interval must be positive"};
  }
  if (o.sweep_batch == 0) return {error_kind::bad_parameter, "sweep_batch must be positive"};
  if (o.watch_queue_capacity == 0) {
    return {error_kind::bad_parameter, "watch_queue_capacity must be positive"};
  }
  return {};
}

// Opens the three named databases and reads the revision counter.
db_status open_databases(MDB_env* env, lmdb::dbis& dbs, std::uint64_t& revision) {
  MDB_txn* raw = nullptr;
  if (int rc = mdb_txn_begin(env, nullptr, 0, &raw); rc != 0) {
    return failure(rc, "cannot begin the setup transaction");
  }
  lmdb::txn txn(raw);
  int rc = mdb_dbi_open(raw, "items", MDB_CREATE, &dbs.items);
  if (rc == 0) rc = mdb_dbi_open(raw, "expiry", MDB_CREATE | MDB_DUPSORT, &dbs.expiry);
  if (rc == 0) rc = mdb_dbi_open(raw, "meta", MDB_CREATE, &dbs.meta);
  if (rc != 0) return failure(rc, "cannot open the database tables");
  MDB_val k = to_val(lmdb::revision_key), v{};
  rc = mdb_get(raw, dbs.meta, &k, &v);
  revision = 0;
  if (rc == 0) {
    auto rec = record::decode(from_val(v));
    if (!rec) return {error_kind::io, "the stored revision counter is corrupt"};
    revision = rec->revision;
  } else if (rc != MDB_NOTFOUND) {
    return failure(rc, "cannot read the revision counter");
  }
  if (rc = txn.commit(); rc != 0) return failure(rc, "cannot commit the setup transaction");
  return {};
}

}  // namespace

db_result<std::unique_ptr<backend>> open_lmdb_backend(const std::filesystem::path& dir,
                                                      const lmdb_options& options) {
  using out_t = std::unique_ptr<backend>;
  if (auto s = check_options(options); !s) return error_as<out_t>(s);
  if (auto s = lmdb::prepare_directory(dir); !s) return error_as<out_t>(s);
  auto claim = lmdb::claim_directory(dir);
  if (!claim) return error_as<out_t>(claim);

  MDB_env* env = nullptr;
  if (int rc = mdb_env_create(&env); rc != 0) {
    return error_as<out_t>(failure(rc, "cannot create an LMDB environment"));
  }
  auto fail = [&](int rc, std::string what) {
    mdb_env_close(env);
    return error_as<out_t>(failure(rc, what + " in \"" + dir.string() + "\""));
  };
  int rc = mdb_env_set_maxdbs(env, 3);
  if (rc == 0) rc = mdb_env_set_mapsize(env, options.map_size);
  if (rc == 0) rc = mdb_env_set_maxreaders(env, options.max_readers);
  if (rc != 0) return fail(rc, "cannot configure the LMDB environment");
  // Default sync flags: a commit returns only after fsync. MDB_NOTLS: read
  // transactions are not tied to threads.
  rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600);
  if (rc != 0) return fail(rc, "cannot open the LMDB database");
  if (mdb_env_get_maxkeysize(env) < static_cast<int>(max_key_size)) {
    mdb_env_close(env);
    return {error_kind::io, "this LMDB build supports keys shorter than 511 bytes"};
  }
  if (auto s = lmdb::restrict_file_modes(dir); !s) {
    mdb_env_close(env);
    return error_as<out_t>(s);
  }
  lmdb::dbis dbs;
  std::uint64_t revision = 0;
  if (auto s = open_databases(env, dbs, revision); !s) {
    mdb_env_close(env);
    return error_as<out_t>(s);
  }
  return lmdb::make_backend(env, dbs, options, revision, std::move(*claim));
}

}  // namespace tp::persistence
