#include "actors/node/node_service.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <thread>

#include "actors/audit/audit_file.hpp"
#include "actors/host/heartbeat.hpp"
#include "actors/host/host_atoms.hpp"
#include "actors/host/host_identity.hpp"
#include "actors/metrics/registry.hpp"
#include "actors/node/label_command.hpp"
#include "actors/node/node_handler.hpp"
#include "actors/node/session.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/ssh_server.hpp"

namespace tp::actors {
namespace {

// The SSH server and its reactor, stopped in order (server first).
struct ssh_runtime {
  std::unique_ptr<transport::ssh_reactor> reactor;
  std::unique_ptr<transport::ssh_server> server;
  ~ssh_runtime() {
    if (server) server->stop();
    server.reset();
    reactor.reset();
  }
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

caf::behavior node_service(caf::event_based_actor* self, std::shared_ptr<ssh_runtime> rt,
                           std::vector<caf::actor> children) {
  for (auto& c : children) self->link_to(c);
  std::weak_ptr<ssh_runtime> weak = rt;
  const auto gauge = metrics::global().add_gauge(
      "teleport_ssh_connections", "SSH connections open, by service.", [weak] {
        auto r = weak.lock();
        const double n = r && r->server ? static_cast<double>(r->server->session_count()) : 0;
        return std::vector<metrics::sample>{{{{"service", "node"}}, n}};
      });
  self->attach_functor([rt, gauge] {
    metrics::global().remove_gauge(gauge);
    rt->server.reset();  // ~ssh_server stops every session
    spdlog::info("node service stopped");
  });
  return {[](caf::get_atom) {}};
}

}  // namespace

tp::result<caf::actor> spawn_node_service(caf::actor_system& sys,
                                          const config::teleport_config& cfg) {
  auto id = load_or_join(cfg, "node");
  if (!id) return id.err();
  auto host_key = transport::parse_openssh_private_key(id->ssh_private_key);
  if (!host_key) return make_error("the node identity's host key: " + host_key.message());

  node_policy policy;
  for (const auto& line : id->user_ca_keys) {
    auto k = transport::public_key::from_authorized_key(line);
    if (!k) return make_error("the node identity's user CA key: " + k.message());
    policy.user_ca_blobs.push_back(k->blob());
  }
  policy.host_id = id->host_id;
  policy.nodename = cfg.global.nodename;
  policy.max_users = cfg.global.limits.max_users;
  policy.permit_user_env = cfg.ssh_service.permit_user_env;
  if (cfg.ssh_service.pam.enabled) policy.pam_service = cfg.ssh_service.pam.service_name;

  auto settings = std::make_shared<cluster_settings>();
  policy.disconnect = disconnect_rules_of(settings);
  policy.current_user_cas = [settings] { return settings->user_cas(); };
  policy.labels = [settings] { return settings->labels(); };
  {  // until the first command label runs: its value is empty
    auto labels = cfg.ssh_service.labels;
    for (const auto& c : cfg.ssh_service.commands) labels[c.name] = "";
    settings->set_labels(std::move(labels));
  }
  auto link = spawn_heartbeat(sys, cfg, std::make_shared<live_identity>(*id), "node", settings);
  auto handler = std::make_shared<node_handler>(
      std::move(policy),
      [link](nlohmann::json event) { caf::anon_send(link, audit_atom::value, event_text(event)); },
      [&sys, link, settings](const std::string& sid) {
        static auto& sessions = metrics::global().get_counter(
            "teleport_sessions_total", "SSH sessions started, by service.", {{"service", "node"}});
        sessions.inc();
        return spawn_session(sys, link, sid, settings->record_at_node.load());
      });

  auto rt = std::make_shared<ssh_runtime>();
  transport::ssh_reactor_options ro;
  ro.threads = std::max(2u, std::min(8u, std::thread::hardware_concurrency()));
  ro.name = "tp-node";
  auto reactor = transport::ssh_reactor::start(ro);
  if (!reactor) {
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    return make_error("starting the SSH reactor: " + reactor.message());
  }
  rt->reactor = std::move(*reactor);
  transport::ssh_server_options so;
  so.listen_address = cfg.ssh_service.listen_addr.host;
  so.port = cfg.ssh_service.listen_addr.port;
  so.host_keys = {*host_key};
  so.ciphers = join(cfg.global.ciphers);
  so.kex_algorithms = join(cfg.global.kex_algos);
  so.macs = join(cfg.global.mac_algos);
  so.max_connections = cfg.global.limits.max_connections;
  auto server = transport::ssh_server::start(*rt->reactor, so, handler);
  if (!server) {
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    return make_error("ssh_service.listen_addr " + cfg.ssh_service.listen_addr.to_string() + ": " +
                      server.message());
  }
  rt->server = std::move(*server);

  std::vector<caf::actor> children{link};
  for (const auto& label : cfg.ssh_service.commands) {
    children.push_back(spawn_label_command(sys, link, label));
  }
  spdlog::info("node: ssh service listening on {}:{} (host {}, {} command label(s))",
               so.listen_address, rt->server->port(), id->host_id, cfg.ssh_service.commands.size());
  return sys.spawn(node_service, rt, std::move(children));
}

}  // namespace tp::actors
