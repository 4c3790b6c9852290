// A host's identity as it is now: the heartbeat replaces it when the host
// renews its certificates during a CA rotation, and everything that connects
// or presents a certificate later reads the current one.
#pragma once

#include <memory>
#include <mutex>

#include "actors/identity/identity_file.hpp"

namespace tp::actors {

class live_identity {
 public:
  explicit live_identity(identity id) : id_(std::move(id)) {}

  identity get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return id_;
  }
  void set(identity id) {
    std::lock_guard<std::mutex> lock(mu_);
    id_ = std::move(id);
  }

 private:
  mutable std::mutex mu_;
  identity id_;
};

using live_identity_ptr = std::shared_ptr<live_identity>;

}  // namespace tp::actors
