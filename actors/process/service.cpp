#include "actors/process/service.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/auth/auth_service.hpp"

namespace tp::actors {
namespace {

// A role whose network side is not built yet: it announces where it will
// listen and lives until shutdown, so the process lifecycle is exercised.
caf::behavior idle_service(caf::event_based_actor* self, std::string role, std::string listen) {
  spdlog::info("{} service started (listen_addr {})", role, listen);
  self->attach_functor([role] { spdlog::info("{} service stopped", role); });
  return {[](caf::get_atom) {}};
}

}  // namespace

tp::result<caf::actor> spawn_service(caf::actor_system& sys, const std::string& role,
                                     const config::teleport_config& cfg) {
  if (role == "auth") return auth::spawn_auth_service(sys, cfg);
  if (role == "node") {
    return sys.spawn(idle_service, role, cfg.ssh_service.listen_addr.to_string());
  }
  if (role == "proxy") {
    return sys.spawn(idle_service, role, cfg.proxy_service.web_listen_addr.to_string());
  }
  return make_error("unknown role \"" + role + "\"");
}

}  // namespace tp::actors
