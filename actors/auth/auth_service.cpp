#include "actors/auth/auth_service.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <memory>

#include "actors/auth/auth_storage.hpp"
#include "actors/auth/ca_export.hpp"
#include "actors/auth/ca_store.hpp"

namespace tp::actors::auth {
namespace {

struct auth_state {
  std::shared_ptr<persistence::backend> db;
  std::string cluster_name;
  static inline const char* name = "auth_service";
};

caf::behavior auth_service(caf::stateful_actor<auth_state>* self,
                           std::shared_ptr<persistence::backend> db, std::string cluster_name) {
  self->state.db = std::move(db);
  self->state.cluster_name = std::move(cluster_name);
  self->attach_functor([] { spdlog::info("auth service stopped"); });
  return {[](caf::get_atom) {}};
}

}  // namespace

tp::result<caf::actor> spawn_auth_service(caf::actor_system& sys,
                                          const config::teleport_config& cfg) {
  auto db = open_backend(cfg);
  if (!db) return db.err();
  auto name = load_or_create_cluster_name(**db, cfg.auth_service.cluster_name);
  if (!name) return name.err();
  auto cas = load_or_create_cas(**db, *name);
  if (!cas) return cas.err();
  spdlog::info("{} certificate authorities: user {}, host {}, TLS CA pin {}",
               cas->created ? "created" : "loaded", cas->user.pub().fingerprint(),
               cas->host.pub().fingerprint(), ca_pin(*cas));
  spdlog::info("auth service started: cluster \"{}\", storage {}, listen_addr {}", *name,
               cfg.global.storage.type_name, cfg.auth_service.listen_addr.to_string());
  return sys.spawn(auth_service, std::move(*db), std::move(*name));
}

}  // namespace tp::actors::auth
