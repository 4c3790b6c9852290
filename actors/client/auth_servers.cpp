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
  std::lock_guard<std::mutex> lock(mu_);
  return addresses_;
}

void auth_servers::replace(std::vector<config::address> addresses) {
  if (addresses.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  const config::address last = addresses_[preferred_];
  addresses_ = std::move(addresses);
  preferred_ = 0;
  for (std::size_t i = 0; i < addresses_.size(); ++i) {
    if (addresses_[i] == last) preferred_ = i;
  }
}

config::address auth_servers::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return addresses_[preferred_];
}

std::string auth_servers::describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& a : addresses_) out.append(out.empty() ? "" : ", ").append(a.to_string());
  return out;
}

}  // namespace tp::actors
