// A session actor per SSH session (a shell, exec or subsystem channel with its
// session ID): the one place that knows the session's state — who, since when,
// terminal size, what ran — outside the reactor thread that moves its bytes.
// The reactor posts events to it without waiting; it completes them (session
// ID, start/stop times) and hands them to the host's auth link for the audit
// log. Session recording and joining attach here.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

// What the reactor side holds: post() never blocks; dropping the last
// reference ends the session actor.
class session_events {
 public:
  virtual ~session_events() = default;
  virtual void post(nlohmann::json event) = 0;
};

std::shared_ptr<session_events> spawn_session(caf::actor_system& sys, const caf::actor& auth_link,
                                              std::string sid);

}  // namespace tp::actors
