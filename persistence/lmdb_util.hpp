// Internals of the LMDB backend: RAII around LMDB's C API, table handles,
// prefix iteration, and the hand-off from opening to the running backend.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "persistence/backend.hpp"
#include "persistence/lmdb_backend.hpp"
#include "persistence/lmdb_files.hpp"

namespace tp::persistence::lmdb {

inline constexpr std::string_view revision_key = "revision";  // in the meta table

// The named tables inside the environment.
struct dbis {
  MDB_dbi items = 0;   // key -> record (see record.hpp)
  MDB_dbi expiry = 0;  // DUPSORT: big-endian expiry ms -> key, for the sweeper
  MDB_dbi meta = 0;    // "revision" -> last revision handed out (a record with an empty value)
};

inline MDB_val to_val(std::string_view s) noexcept {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

inline std::string_view from_val(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// io error "<what>: <LMDB's message>".
inline db_status failure(int rc, std::string_view what) {
  return {error_kind::io, std::string(what) + ": " + mdb_strerror(rc)};
}

// Aborts on destruction unless committed.
class txn {
 public:
  txn() = default;
  explicit txn(MDB_txn* t) noexcept : t_(t) {}
  txn(txn&& o) noexcept : t_(o.t_) { o.t_ = nullptr; }
  txn& operator=(txn&&) = delete;
  txn(const txn&) = delete;
  ~txn() { abort(); }

  MDB_txn* get() const noexcept { return t_; }
  void abort() noexcept {
    if (t_) mdb_txn_abort(t_);
    t_ = nullptr;
  }
  int commit() noexcept {
    int rc = mdb_txn_commit(t_);  // frees the txn even on failure
    t_ = nullptr;
    return rc;
  }

 private:
  MDB_txn* t_ = nullptr;
};

class cursor {
 public:
  cursor() = default;
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
  ~cursor() {
    if (c_) mdb_cursor_close(c_);
  }
  int open(MDB_txn* t, MDB_dbi dbi) noexcept { return mdb_cursor_open(t, dbi, &c_); }
  MDB_cursor* get() const noexcept { return c_; }

 private:
  MDB_cursor* c_ = nullptr;
};

// Calls fn(key, value bytes) for each stored key under prefix, in key order,
// until fn returns false. Returns an LMDB code (0 = fine).
template <class F>
inline int for_each_in_prefix(MDB_txn* txn, MDB_dbi dbi, std::string_view prefix, F&& fn) {
  std::string start(prefix);
  if (!prefix.ends_with('/')) {
    // The subtree root itself sorts before everything below it.
    MDB_val k = to_val(prefix), v{};
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == 0 && !fn(prefix, from_val(v))) return 0;
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    start += '/';
  }
  cursor cur;
  if (int rc = cur.open(txn, dbi); rc != 0) return rc;
  MDB_val k = to_val(start), v{};
  int rc = mdb_cursor_get(cur.get(), &k, &v, MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT)) {
    auto key = from_val(k);
    if (!key.starts_with(start)) return 0;
    if (!fn(key, from_val(v))) return 0;
  }
  return rc == MDB_NOTFOUND ? 0 : rc;
}

// Wraps an opened environment in the running backend (starts its sweeper).
db_result<std::unique_ptr<backend>> make_backend(MDB_env* env, const dbis& dbs,
                                                 const lmdb_options& options,
                                                 std::uint64_t revision,
                                                 std::unique_ptr<open_claim> claim);

}  // namespace tp::persistence::lmdb
