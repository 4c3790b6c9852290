// auth_core::announce / auth_servers: the auth servers of one cluster, as each records
// itself in the shared backend (auth_core.hpp).
#include <spdlog/spdlog.h>

#include "actors/auth/auth_core.hpp"

namespace tp::actors::auth {
namespace {

constexpr std::string_view prefix = "/authservers/";
constexpr std::chrono::seconds announce_every{10};
constexpr std::chrono::seconds announce_ttl{30};  // gone 30 s after an auth server died

}  // namespace

void auth_core::announce(sys_time now) {
  if (options_.advertise_addr.empty() || options_.server_id.empty() || now < next_announce_) {
    return;
  }
  next_announce_ = now + announce_every;
  auto st = db_->put(std::string(prefix) + options_.server_id, options_.advertise_addr,
                     std::chrono::duration_cast<std::chrono::milliseconds>(announce_ttl));
  if (!st) spdlog::warn("cannot announce this auth server in the backend: {}", st.message());
}

messages::events_reply auth_core::auth_servers() const {
  messages::events_reply out;
  auto items = db_->get_range(prefix);
  if (!items) {
    spdlog::warn("cannot list the auth servers: {}", items.message());
    return out;
  }
  for (const auto& it : *items) out.events.push_back(it.value);
  return out;
}

}  // namespace tp::actors::auth
