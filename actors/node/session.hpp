// A session actor per SSH session (a shell, exec or subsystem channel with its
// session ID): the one place that knows the session's state — who, since when,
// terminal size, what ran — outside the reactor thread that moves its bytes.
// The reactor posts events and output to it without waiting; it completes the
// events (session ID, times) and hands them to the host's auth link for the
// audit log.
//
// Recording (session_recording: node): for an interactive session (one with a
// terminal) it is also the session recorder. Output becomes print events
// (offset, length, milliseconds since the start; bursts within a few
// milliseconds share one) and, with the session's own events, travels to auth
// in chunks — at 64 KiB, 100 ms after the first unsent byte, and at the end —
// through the same auth link, so the recording and the audit log stay in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

// What the reactor side holds: post() and output() never block; dropping the
// last reference ends the session actor (after it sent what it holds).
class session_events {
 public:
  virtual ~session_events() = default;
  virtual void post(nlohmann::json event) = 0;
  // Terminal output of the session, for its recording.
  virtual void output(std::string_view data) = 0;
  virtual bool recording() const = 0;
};

inline constexpr std::size_t recording_chunk_bytes = 64u << 10;
inline constexpr std::chrono::milliseconds recording_flush_delay{100};

// `record`: keep a recording when the session turns out to be interactive.
std::shared_ptr<session_events> spawn_session(caf::actor_system& sys, const caf::actor& auth_link,
                                              std::string sid, bool record = false);

}  // namespace tp::actors
