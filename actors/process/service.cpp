#include "actors/process/service.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/auth/auth_service.hpp"
#include "actors/host/heartbeat.hpp"
#include "actors/host/host_identity.hpp"
#include "actors/node/node_service.hpp"

namespace tp::actors {
namespace {

// A host role (the proxy) whose network side is not built yet: it holds the
// role's identity in the cluster, keeps the host announced through its
// heartbeat child, and lives until shutdown.
caf::behavior host_service(caf::event_based_actor* self, std::string role, std::string listen,
                           caf::actor heartbeat) {
  self->link_to(heartbeat);
  spdlog::info("{} service started (listen_addr {})", role, listen);
  self->attach_functor([role] { spdlog::info("{} service stopped", role); });
  return {[](caf::get_atom) {}};
}

tp::result<caf::actor> spawn_host_service(caf::actor_system& sys, const std::string& role,
                                          const config::teleport_config& cfg,
                                          const std::string& listen) {
  auto id = load_or_join(cfg, role);
  if (!id) return id.err();
  auto hb = spawn_heartbeat(sys, cfg, std::move(*id), role);
  return sys.spawn(host_service, role, listen, hb);
}

}  // namespace

tp::result<caf::actor> spawn_service(caf::actor_system& sys, const std::string& role,
                                     const config::teleport_config& cfg) {
  if (role == "auth") return auth::spawn_auth_service(sys, cfg);
  if (role == "node") return spawn_node_service(sys, cfg);
  if (role == "proxy") {
    return spawn_host_service(sys, role, cfg, cfg.proxy_service.web_listen_addr.to_string());
  }
  return make_error("unknown role \"" + role + "\"");
}

}  // namespace tp::actors
