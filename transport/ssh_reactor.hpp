// A small pool of I/O threads, each running a libssh event loop (reactor_loop). SSH
// sessions are spread over the loops round-robin and stay on theirs; everything with a
// blocking cost (fork/exec of session commands is the exception: it is fast) stays off
// these threads, and the actor scheduler stays off libssh.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "transport/ssh_reactor_loop.hpp"

namespace tp::transport {

struct ssh_reactor_options {
  std::size_t threads = 2;
  std::string name = "tp-ssh";  // thread names: "<name>-<index>"
};

class ssh_reactor {
 public:
  static result<std::unique_ptr<ssh_reactor>> start(ssh_reactor_options options = {});
  // stop(). Servers using the reactor must be stopped first.
  ~ssh_reactor();
  ssh_reactor(const ssh_reactor&) = delete;
  ssh_reactor& operator=(const ssh_reactor&) = delete;

  std::size_t size() const { return loops_.size(); }
  reactor_loop& loop(std::size_t i) { return *loops_.at(i); }
  // Round-robin; thread-safe.
  reactor_loop& next_loop();
  // Joins all loop threads. Idempotent; not from a loop thread.
  void stop();

 private:
  ssh_reactor() = default;
  std::vector<std::unique_ptr<reactor_loop>> loops_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace tp::transport
