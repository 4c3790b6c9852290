// Session recordings on the auth server's disk, in Teleport's layout:
// <data_dir>/log/sessions/default/<sid>.session.bytes (the terminal output)
// and <sid>.session.log (JSON lines: print events with offset, length and
// milliseconds since the start, and the session's own events).
//
// Chunks are staged, then commit() writes them and syncs every touched file
// once, so one fdatasync serves all the chunks that arrived together. Output
// is written at the chunk's offset, which makes a resent chunk harmless: data
// the file already holds is skipped with its events. Not thread-safe: owned by
// the audit_log actor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "messages/auth_api.hpp"
#include "messages/result.hpp"

namespace tp::actors {

// Session IDs name files: 1-64 characters of [A-Za-z0-9-].
bool valid_session_id(const std::string& sid);

class recording_store {
 public:
  explicit recording_store(std::string dir);  // <data_dir>/log/sessions/default
  ~recording_store();
  recording_store(const recording_store&) = delete;
  recording_store& operator=(const recording_store&) = delete;

  // Checks a chunk from `host` (its events must be JSON objects with "event")
  // and keeps it for the next commit(). A session's chunks must all come from
  // the host that sent its first one.
  tp::status stage(const std::string& host, messages::session_chunk_request chunk);
  // Writes the staged chunks and syncs the files they touched.
  tp::status commit();
  bool has_staged() const { return !staged_.empty(); }

  // Up to messages::max_recording_read bytes of a part ("log" or "bytes").
  tp::result<messages::recording_reply> read(const std::string& sid, const std::string& part,
                                             std::uint64_t offset) const;

  const std::string& dir() const { return dir_; }

 private:
  struct open_files {
    int bytes_fd = -1;
    int log_fd = -1;
    std::uint64_t size = 0;  // bytes the .bytes file holds
    bool dirty = false;
    bool ended = false;  // session.end seen: close after the sync
  };
  tp::result<open_files*> open(const std::string& sid);
  void close(open_files& f);

  std::string dir_;
  std::vector<messages::session_chunk_request> staged_;
  std::map<std::string, open_files> open_;
  std::map<std::string, std::string> owner_;  // sid -> host that records it
};

}  // namespace tp::actors
