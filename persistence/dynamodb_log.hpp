// The DynamoDB backend's change log (internal to persistence): writers append each
// change under its revision; once a watch exists, one thread per backend reads the
// log in revision order and hands the changes to the backend's watch hub, and
// deletes (and so reports) expired items it knows of.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "persistence/dynamodb_client.hpp"

namespace tp::persistence {

class dynamodb_log {
 public:
  class sink {
   public:
    virtual void deliver(std::vector<event> events) = 0;

   protected:
    ~sink() = default;
  };

  dynamodb_log(dynamodb_client& client, sink& out, const dynamodb_options& o);
  ~dynamodb_log() { stop(); }
  dynamodb_log(const dynamodb_log&) = delete;
  dynamodb_log& operator=(const dynamodb_log&) = delete;

  // Best effort: a missing entry delays watchers by gap_timeout, nothing else.
  void append_put(std::uint64_t rev, std::string_view key, std::string_view value,
                  std::int64_t expires_ms);
  void append_remove(std::uint64_t rev, std::string_view key);
  void append_none(std::uint64_t rev);  // a revision that changed nothing

  // Deletes that version of key if it is still stored, logging the remove: true if it
  // was deleted, false if the key is absent or was rewritten meanwhile.
  db_result<bool> delete_version(std::string_view key, std::uint64_t revision);

  // Starts reading after revision `from` (once; later calls do nothing).
  db_status start(std::uint64_t from);
  void stop();

 private:
  void append(std::uint64_t rev, std::string_view type, std::string_view key,
              std::string_view value, std::int64_t expires_ms);
  void run();
  void load_expiring();
  void poll();
  void sweep();
  void notice(const std::string& what) const;

  dynamodb_client& client_;
  sink& out_;
  dynamodb_options opts_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
  // Read by the thread only:
  std::uint64_t last_ = 0;
  std::optional<std::chrono::steady_clock::time_point> gap_since_;
  // key -> (expires ms, revision) of stored items that expire; under mu_.
  std::map<std::string, std::pair<std::int64_t, std::uint64_t>> expiring_;
};

}  // namespace tp::persistence
