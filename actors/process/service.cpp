#include "actors/process/service.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/auth/auth_service.hpp"
#include "actors/node/node_service.hpp"
#include "actors/proxy/proxy_service.hpp"

namespace tp::actors {

tp::result<caf::actor> spawn_service(caf::actor_system& sys, const std::string& role,
                                     const config::teleport_config& cfg,
                                     std::chrono::milliseconds handover_wait) {
  if (role == "auth") return auth::spawn_auth_service(sys, cfg, handover_wait);
  if (role == "node") return spawn_node_service(sys, cfg);
  if (role == "proxy") return spawn_proxy_service(sys, cfg);
  return make_error("unknown role \"" + role + "\"");
}

}  // namespace tp::actors
