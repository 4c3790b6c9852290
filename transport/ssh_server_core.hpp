// Internal to the SSH server: state shared by ssh_server and its sessions.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "transport/ssh_reactor_loop.hpp"
#include "transport/ssh_server.hpp"

namespace tp::transport {

class server_session;

// Handler code runs inside libssh's C callbacks, which an exception must not cross: a
// throwing decision counts as a refusal.
template <class R, class F>
R refuse_on_throw(R refusal, F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    return refusal;
  }
}

// The sessions of one server on one loop, and the per-round processing of them.
struct server_core;

struct server_loop_state {
  reactor_loop* loop = nullptr;
  server_core* core = nullptr;
  std::unordered_map<server_session*, std::shared_ptr<server_session>> sessions;
  std::vector<server_session*> dirty;           // process this round
  std::unordered_set<server_session*> polling;  // process every round
  reactor_loop::hook_id hook = 0;
  reactor_loop::timer_id sweep = 0;
  std::uint64_t round = 0;
  bool stopped = false;

  void process_round();
  void sweep_all();
  void end_all(const std::string& reason);
};

struct server_core {
  ssh_server_options options;
  std::shared_ptr<ssh_server_handler> handler;
  std::vector<std::unique_ptr<server_loop_state>> loops;  // by loop index
  std::atomic<std::size_t> live_sessions{0};
  std::atomic<std::uint64_t> next_session_id{1};
};

}  // namespace tp::transport
