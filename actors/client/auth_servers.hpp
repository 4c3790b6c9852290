// The auth servers a host or tctl may talk to (teleport.auth_servers, several for
// HA), with failover: a connection goes to the one that answered last, else to the
// next in turn, so losing one auth server only costs the connections it held.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/client/auth_client.hpp"
#include "config/address.hpp"

namespace tp::actors {

class auth_servers {
 public:
  explicit auth_servers(std::vector<config::address> addresses);

  // An authenticated client of the first server that accepts it, starting with the one
  // that worked last; when none does, an error with each server's reason.
  tp::result<std::unique_ptr<auth_client>> connect(const identity& id);
  // The same for any other way of reaching one (joining): `attempt` is tried on each
  // address in turn until it succeeds.
  template <class T, class F>
  tp::result<T> first_that(F attempt);

  std::vector<config::address> addresses() const;
  // A new list (learned from auth); the one that worked last stays preferred if listed.
  void replace(std::vector<config::address> addresses);
  config::address current() const;  // the one that worked last
  std::string describe() const;     // "a:3025, b:3025"

 private:
  std::vector<config::address> addresses_;
  mutable std::mutex mu_;
  std::size_t preferred_ = 0;
};

template <class T, class F>
tp::result<T> auth_servers::first_that(F attempt) {
  std::size_t start;
  std::vector<config::address> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    start = preferred_;
    all = addresses_;
  }
  std::string why;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::size_t at = (start + i) % all.size();
    tp::result<T> r = attempt(all[at]);
    if (r) {
      std::lock_guard<std::mutex> lock(mu_);
      if (at < addresses_.size() && addresses_[at] == all[at]) preferred_ = at;
      return r;
    }
    if (all.size() == 1) return r;
    why.append(why.empty() ? "" : "; ").append(all[at].to_string()).append(": ");
    why.append(r.message());
  }
  return tp::make_error("no auth server answered (" + why + ")");
}

using auth_servers_ptr = std::shared_ptr<auth_servers>;

}  // namespace tp::actors
