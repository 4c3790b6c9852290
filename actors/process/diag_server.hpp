// `teleport start --diag-addr=host:port`: plain HTTP for operators and their tools
//   GET /metrics   Prometheus text: the process (CPU, RSS, fds, start time), the
//                  build and roles, and what the services count (actors/metrics)
//   GET /healthz   200 while the process runs
//   GET /readyz    200 once every role is serving, 503 before
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/address.hpp"
#include "messages/result.hpp"

namespace tp::actors {

class web_server;

class diag_server {
 public:
  static tp::result<std::unique_ptr<diag_server>> start(const config::address& addr,
                                                        std::vector<std::string> roles);
  ~diag_server();
  std::uint16_t port() const;
  void set_ready(bool ready) { ready_->store(ready); }

 private:
  diag_server() = default;
  std::shared_ptr<std::atomic<bool>> ready_ = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<web_server> web_;
};

// The process_* metrics of the Prometheus conventions, read from /proc/self.
std::string process_metrics_text();

}  // namespace tp::actors
