#include "actors/client/auth_servers.hpp"

#include <cassert>

namespace tp::actors {

auth_servers::auth_servers(std::vector<config::address> addresses)
    : addresses_(std::move(addresses)) {
  assert(!addresses_.empty());
}

tp::result<std::unique_ptr<auth_client>> auth_servers::connect(const identity& id) {
  return first_that<std::unique_ptr<auth_client>>(
      [&](const config::address& a) { return auth_client::connect(a.host, a.port, id); });
}

std::vector<config::address> auth_servers::addresses() const {
  return addresses_;
}

config::address auth_servers::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return addresses_[preferred_];
}

std::string auth_servers::describe() const {
  std::string out;
  for (const auto& a : addresses_) out.append(out.empty() ? "" : ", ").append(a.to_string());
  return out;
}

}  // namespace tp::actors
