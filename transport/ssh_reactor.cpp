#include "transport/ssh_reactor.hpp"

namespace tp::transport {

result<std::unique_ptr<ssh_reactor>> ssh_reactor::start(ssh_reactor_options options) {
  if (options.threads == 0) return make_error("the SSH reactor needs at least one thread");
  if (options.threads > 256) return make_error("too many SSH reactor threads (at most 256)");
  std::unique_ptr<ssh_reactor> r(new ssh_reactor());
  for (std::size_t i = 0; i < options.threads; ++i) {
    auto l = reactor_loop::create(i, options.name + "-" + std::to_string(i));
    if (!l) return l.err();
    r->loops_.push_back(std::move(*l));
  }
  for (auto& l : r->loops_) l->start();
  return r;
}

ssh_reactor::~ssh_reactor() {
  stop();
}

reactor_loop& ssh_reactor::next_loop() {
  return *loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

void ssh_reactor::stop() {
  for (auto& l : loops_) l->stop();
}

}  // namespace tp::transport
