#include "actors/proxy/auth_pool.hpp"

namespace tp::actors {

tp::result<messages::api_reply> auth_pool::call(messages::api_request request) {
  std::unique_ptr<auth_client> c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!c) {
    auto made = auth_client::connect(auth_.host, auth_.port, id_->get());
    if (!made) return tp::make_error("cannot reach the auth service: " + made.message());
    c = std::move(*made);
  }
  auto reply = c->call(std::move(request));
  if (c->is_open()) {  // a refusal leaves the connection usable; a failure does not
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(c));
  }
  return reply;
}

}  // namespace tp::actors
