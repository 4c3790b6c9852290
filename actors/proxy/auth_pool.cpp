#include "actors/proxy/auth_pool.hpp"

namespace tp::actors {

tp::result<messages::api_reply> auth_pool::call(messages::api_request request) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<auth_client> c;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        c = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    const bool reused = c != nullptr;
    if (!c) {
      auto made = auths_->connect(id_->get());
      if (!made) return tp::make_error("cannot reach the auth service: " + made.message());
      c = std::move(*made);
    }
    auto reply = c->call(attempt == 0 && reused ? request : std::move(request));
    if (c->is_open()) {  // a refusal leaves the connection usable; a failure does not
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.size() < max_idle_) idle_.push_back(std::move(c));
      return reply;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.clear();
    }
    if (!reused || attempt > 0) return reply;
  }
}

}  // namespace tp::actors
