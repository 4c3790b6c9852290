// The embedded default backend: one LMDB environment in a directory under
// data_dir. Durable (each successful write is fsynced by LMDB's commit),
// safe for concurrent use, TTLs swept by a background thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

#include "persistence/backend.hpp"

namespace tp::persistence {

struct lmdb_options {
  // Initial address-space reservation. The file is sparse (only written pages
  // use disk) and is doubled when a write hits MDB_MAP_FULL.
  std::size_t map_size = std::size_t{8} << 30;
  // Concurrent read transactions (one per in-flight read call).
  unsigned max_readers = 1024;
  // Longest the sweeper sleeps; it also wakes for the earliest known expiry.
  std::chrono::milliseconds sweep_interval{1000};
  // Expired items deleted per sweeper transaction, so sweeps don't starve writers.
  std::size_t sweep_batch = 1000;
  // Events a watcher may lag behind before it is closed with overflow.
  std::size_t watch_queue_capacity = 16384;
};

// Opens (creating if needed, mode 0700) the directory and the LMDB files in it
// (data.mdb, lock.mdb, mode 0600). bad_parameter if dir is empty or exists and
// is not a directory, or if options are out of range; io for anything else,
// including the same directory already being open in this process (LMDB
// forbids that). The returned backend stops its threads when destroyed.
//
// A stored record that cannot be decoded (damage, a newer format) makes get,
// get_range, create and compare_and_swap on it fail with io naming the key;
// put and remove replace or delete it, so an operator can repair the store.
db_result<std::unique_ptr<backend>> open_lmdb_backend(const std::filesystem::path& dir,
                                                      const lmdb_options& options = {});

}  // namespace tp::persistence
