#include "actors/proxy/proxy_service.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <map>
#include <set>

#include "actors/audit/audit_file.hpp"
#include "actors/host/heartbeat.hpp"
#include "actors/host/host_atoms.hpp"
#include "actors/host/host_identity.hpp"
#include "actors/host/outbound_proxy.hpp"
#include "actors/metrics/registry.hpp"
#include "actors/node/session.hpp"
#include "actors/proxy/auth_pool.hpp"
#include "actors/proxy/cluster_link.hpp"
#include "actors/proxy/proxy_handler.hpp"
#include "actors/proxy/proxy_queries.hpp"
#include "actors/proxy/recording_forward.hpp"
#include "actors/proxy/tunnel.hpp"
#include "actors/proxy/tunnel_server.hpp"
#include "actors/proxy/web_routes.hpp"
#include "actors/proxy/web_tls.hpp"
#include "messages/version.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/ssh_server.hpp"

namespace tp::actors {
namespace {

using refresh_atom = caf::atom_constant<caf::atom("tp_nodes")>;
constexpr std::chrono::seconds node_refresh_interval{2};

struct proxy_runtime {
  std::shared_ptr<blocking_pool> queries;  // stopped first: its tasks post to the reactor
  std::shared_ptr<blocking_pool> probes;   // host key probes of the recording proxy
  std::unique_ptr<transport::ssh_reactor> reactor;
  std::unique_ptr<transport::ssh_server> server;
  std::unique_ptr<transport::ssh_server> forward;  // recording proxy mode's endpoint
  std::unique_ptr<transport::ssh_server> tunnel;   // tunnel_listen_addr: leaves dial in
  std::unique_ptr<web_server> web;
  std::shared_ptr<tunnel_registry> tunnels;  // the leaves' reverse tunnels
  std::shared_ptr<trusted_leaves> leaves;
  ~proxy_runtime() {
    if (queries) queries->stop();
    if (probes) probes->stop();
    if (web) web->stop();
    if (server) server->stop();
    if (forward) forward->stop();
    if (tunnel) tunnel->stop();
    server.reset();
    forward.reset();
    tunnel.reset();
    reactor.reset();
  }
};

// Keeps the proxy's view of the cluster current by polling auth (detached,
// blocking client): the live nodes, the leaf clusters whose tunnels it accepts,
// and one trusted_cluster_link per enabled trusted_cluster resource (the root
// clusters it dials).
struct watcher_state {
  std::unique_ptr<auth_client> client;
  bool failing = false;
  // Shared with the exit functor: CAF destroys the state before attachables run.
  std::shared_ptr<std::map<std::string, cluster_link>> links =
      std::make_shared<std::map<std::string, cluster_link>>();
  std::map<std::string, std::string> link_problems;  // logged once per change
  std::map<std::string, std::string> ca_problems;    // likewise, CAs a cluster announced
  static inline const char* name = "cluster_watcher";
};

struct federation {
  std::shared_ptr<tunnel_registry> tunnels;
  std::shared_ptr<trusted_leaves> leaves;
  std::shared_ptr<tunnel_self> self;
  std::shared_ptr<const cluster_link_context> link_ctx;
};

template <class T>
tp::result<std::vector<T>> fetch(auth_client& c, messages::resource_kind kind) {
  auto r = c.call_as(messages::get_resources_request{kind, "", false});
  if (!r) return r.err();
  std::vector<T> out;
  for (auto& item : r->items) {
    if (auto* x = std::get_if<T>(&item)) out.push_back(std::move(*x));
  }
  return out;
}

std::vector<std::string> blobs_of(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    if (auto k = transport::public_key::from_authorized_key(line)) out.push_back(k->blob());
  }
  return out;
}

// A trusted cluster announced other CA keys than auth holds for it (it rotates): ask
// auth to take them (it checks that they continue the stored ones).
void follow_remote_cas(caf::stateful_actor<watcher_state>* self, const std::string& cluster,
                       const std::string& line,
                       const std::optional<std::vector<std::string>>& stored_user,
                       const std::optional<std::vector<std::string>>& stored_host) {
  auto& st = self->state;
  if (line.empty()) return;
  auto announced = parse_announced_cas(line);
  if (!announced) return;
  auto change = remote_ca_change(cluster, *announced, stored_user, stored_host);
  if (!change) return;
  auto r = st.client->call_as(std::move(*change));
  auto& said = st.ca_problems[cluster];
  if (r) {
    spdlog::info("proxy: cluster {} rotates its CAs: trusting the keys it announced", cluster);
    said.clear();
  } else if (said != r.message()) {
    spdlog::warn("proxy: cluster {} announced CA keys that are not taken: {}", cluster,
                 r.message());
    said = r.message();
  }
}

// Trust as auth stores it: host CAs of other clusters, and trusted_cluster resources.
tp::status refresh_trust(caf::stateful_actor<watcher_state>* self, const federation& fed,
                         const std::string& own) {
  auto& st = self->state;
  auto cas = fetch<messages::cert_authority>(*st.client, messages::resource_kind::cert_authority);
  if (!cas) return cas.err();
  auto roots =
      fetch<messages::trusted_cluster>(*st.client, messages::resource_kind::trusted_cluster);
  if (!roots) return roots.err();
  // Every other cluster's host CA; a cluster we dial is a root, never a leaf: it may
  // not open a tunnel to us, and its CA checks the root proxy we reach.
  std::map<std::string, std::vector<std::string>> host_cas, root_cas, user_cas;
  std::vector<std::string> own_user, own_host;
  for (const auto& ca : *cas) {
    const std::string name = ca.spec.cluster_name.empty() ? ca.meta.name : ca.spec.cluster_name;
    const bool host = ca.spec.type == messages::ca_type::host;
    if (name == own) {
      (host ? own_host : own_user) = ca.spec.checking_keys;
    } else {
      (host ? host_cas : user_cas)[name] = blobs_of(ca.spec.checking_keys);
    }
  }
  // Our heartbeats and answers announce them: trusted clusters follow our rotations.
  fed.self->set_cas(std::move(own_user), std::move(own_host));
  std::set<std::string> wanted;
  for (const auto& tc : *roots) {
    if (auto it = host_cas.find(tc.meta.name); it != host_cas.end()) {
      if (tc.spec.enabled) root_cas[tc.meta.name] = std::move(it->second);
      host_cas.erase(it);
    }
    if (tc.spec.enabled) wanted.insert(tc.meta.name);
  }
  std::vector<std::string> leaf_names;
  for (const auto& [name, keys] : host_cas) leaf_names.push_back(name);
  // Leaves announce their host CA in their heartbeats.
  const auto tunnels = fed.tunnels->list(leaf_names);
  for (const auto& t : tunnels) {
    if (!t.online) continue;
    auto it = host_cas.find(t.cluster);
    if (it != host_cas.end()) follow_remote_cas(self, t.cluster, t.info, std::nullopt, it->second);
  }
  fed.leaves->replace(std::move(host_cas));
  fed.tunnels->sweep(leaf_names);
  // Auth shows them to tctl (tctl get remote_clusters).
  messages::report_tunnels_request report;
  for (const auto& t : tunnels) {
    report.tunnels.push_back(nlohmann::json{
        {"cluster", t.cluster},
        {"status", t.online ? "online" : "offline"},
        {"last_heartbeat", t.last_heartbeat_unix},
        {"remote",
         t.remote_address}}.dump());
  }
  if (auto r = st.client->call_as(std::move(report)); !r) return r.err();

  auto& links = *st.links;
  for (auto it = links.begin(); it != links.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    spdlog::info("proxy: trust with cluster {} is disabled or removed: closing its tunnel",
                 it->first);
    it->second.shutdown();
    it = links.erase(it);
  }
  for (const auto& tc : *roots) {
    if (!tc.spec.enabled) continue;
    auto target = link_target_of(tc);
    const auto& root_keys = root_cas[tc.meta.name];
    if (target && root_keys.empty()) target = make_error("its host CA is not stored");
    if (!target) {
      auto& said = st.link_problems[tc.meta.name];
      if (said != target.message()) {
        spdlog::error("proxy: cannot dial trusted cluster {}: {}", tc.meta.name, target.message());
        said = target.message();
      }
      continue;
    }
    st.link_problems.erase(tc.meta.name);
    auto it = links.find(tc.meta.name);
    if (it != links.end() && it->second.target == *target) {
      // The root announces its CAs in its answers; the tunnel stays up while they change.
      std::optional<std::vector<std::string>> user;
      if (auto u = user_cas.find(tc.meta.name); u != user_cas.end()) user = u->second;
      follow_remote_cas(self, tc.meta.name, it->second.shared->last_answer(), user, root_keys);
      it->second.shared->set_root_host_ca_blobs(root_keys);
      continue;
    }
    if (it != links.end()) {
      it->second.shutdown();
      links.erase(it);
    }
    spdlog::info("proxy: dialing trusted cluster {} at {}{}", tc.meta.name,
                 target->tunnel.to_string(), target->via ? " via " + target->via->name() : "");
    links.emplace(tc.meta.name,
                  spawn_cluster_link(self->system(), fed.link_ctx, *target, root_keys));
  }
  return {};
}

caf::behavior cluster_watcher(caf::stateful_actor<watcher_state>* self,
                              std::shared_ptr<node_directory> dir, auth_servers_ptr auths,
                              live_identity_ptr live, federation fed) {
  self->attach_functor([links = self->state.links] {
    for (auto& [name, link] : *links) link.shutdown();
  });
  self->send(self, refresh_atom::value);
  return {[=](refresh_atom) {
    auto& st = self->state;
    if (!st.client) {
      auto c = auths->connect(live->get());
      if (c) st.client = std::move(*c);
    }
    if (st.client) {
      auto nodes = fetch<messages::node>(*st.client, messages::resource_kind::node);
      tp::status ok =
          nodes ? refresh_trust(self, fed, live->get().cluster_name) : tp::status(nodes.err());
      if (nodes) dir->replace(std::move(*nodes));
      if (ok) {
        st.failing = false;
      } else {
        if (!st.failing) spdlog::warn("proxy: cannot refresh the cluster view: {}", ok.message());
        st.failing = true;
        st.client.reset();
      }
    }
    self->delayed_send(self, node_refresh_interval, refresh_atom::value);
  }};
}

caf::behavior proxy_service(caf::event_based_actor* self, std::shared_ptr<proxy_runtime> rt,
                            std::vector<caf::actor> children) {
  for (auto& c : children) self->link_to(c);
  std::weak_ptr<proxy_runtime> weak = rt;
  auto& reg = metrics::global();
  const auto connections =
      reg.add_gauge("teleport_ssh_connections", "SSH connections open, by service.", [weak] {
        std::vector<metrics::sample> out;
        if (auto r = weak.lock()) {
          if (r->server)
            out.push_back({{{"service", "proxy"}}, double(r->server->session_count())});
          if (r->tunnel)
            out.push_back({{{"service", "tunnel"}}, double(r->tunnel->session_count())});
        }
        return out;
      });
  const auto tunnels = reg.add_gauge(
      "teleport_reverse_tunnels", "Leaf clusters' reverse tunnels: 1 for the state each is in.",
      [weak] {
        std::vector<metrics::sample> out;
        auto r = weak.lock();
        if (!r || !r->tunnels || !r->leaves) return out;
        for (const auto& t : r->tunnels->list(r->leaves->names())) {
          out.push_back({{{"cluster", t.cluster}, {"state", t.online ? "online" : "offline"}}, 1});
        }
        return out;
      });
  self->attach_functor([rt, connections, tunnels] {
    metrics::global().remove_gauge(connections);
    metrics::global().remove_gauge(tunnels);
    if (rt->queries) rt->queries->stop();
    if (rt->probes) rt->probes->stop();
    rt->web.reset();
    rt->server.reset();
    rt->forward.reset();
    rt->tunnel.reset();
    spdlog::info("proxy service stopped");
  });
  return {[](caf::get_atom) {}};
}

// The recording endpoint serves adopted connections, each with its own handler.
struct refuse_all : transport::ssh_server_handler {
  tp::status authorize(const transport::auth_attempt&) override {
    return make_error("not a proxied connection");
  }
  std::unique_ptr<transport::session_handler> on_authenticated(
      transport::server_session&, const transport::auth_attempt&) override {
    return nullptr;
  }
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

tp::result<caf::actor> spawn_proxy_service(caf::actor_system& sys,
                                           const config::teleport_config& cfg) {
  auto id = load_or_join(cfg, "proxy");
  if (!id) return id.err();
  auto host_key = transport::parse_openssh_private_key(id->ssh_private_key);
  if (!host_key) return make_error("the proxy identity's host key: " + host_key.message());
  std::vector<std::string> ca_blobs;
  for (const auto& line : id->user_ca_keys) {
    auto k = transport::public_key::from_authorized_key(line);
    if (!k) return make_error("the proxy identity's user CA key: " + k.message());
    ca_blobs.push_back(k->blob());
  }
  std::optional<std::pair<std::string, std::string>> tls;
  if (!cfg.proxy_service.insecure_no_tls) {
    auto t = load_or_create_web_tls(cfg);
    if (!t) return t.err();
    tls = std::move(*t);
  }

  // A malformed HTTPS_PROXY would only show when a trusted cluster is dialed: refuse it now.
  if (auto st = check_outbound_proxy(); !st) return st.err();
  auto settings = std::make_shared<cluster_settings>();
  auto live = std::make_shared<live_identity>(*id);
  const auto auths = std::make_shared<auth_servers>(auth_addresses(cfg));
  auto link = spawn_heartbeat(sys, cfg, live, "proxy", settings, auths);
  std::vector<caf::actor> children{link};
  auto fail = [&](std::string why) {
    for (auto& c : children) caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
    return make_error(std::move(why));
  };
  auto dir = std::make_shared<node_directory>(id->cluster_name);
  auto auth_calls = std::make_shared<auth_pool>(auths, live);
  federation fed;
  fed.tunnels = std::make_shared<tunnel_registry>();
  fed.leaves = std::make_shared<trusted_leaves>();
  fed.self = std::make_shared<tunnel_self>(id->cluster_name,
                                           [live] { return live->get().ssh_certificate; });
  {
    auto link_ctx = std::make_shared<cluster_link_context>();
    link_ctx->cluster_name = id->cluster_name;
    link_ctx->host_key = id->ssh_private_key;
    link_ctx->self = fed.self;
    link_ctx->nodes = dir;
    link_ctx->auth = auth_calls;
    fed.link_ctx = std::move(link_ctx);
  }
  children.push_back(sys.spawn<caf::detached>(cluster_watcher, dir, auths, live, fed));

  auto rt = std::make_shared<proxy_runtime>();
  rt->queries = std::make_shared<blocking_pool>(2);
  transport::ssh_reactor_options ro;
  ro.threads = 2;
  ro.name = "tp-proxy";
  auto reactor = transport::ssh_reactor::start(ro);
  if (!reactor) return fail("starting the SSH reactor: " + reactor.message());
  rt->reactor = std::move(*reactor);

  auto sink = [link](nlohmann::json e) { caf::anon_send(link, audit_atom::value, event_text(e)); };
  auto forward = std::make_shared<recording_forward>();
  {
    transport::ssh_server_options fo;
    fo.listen = false;
    fo.host_keys = {*host_key};
    fo.max_connections = cfg.global.limits.max_connections;
    auto fs = transport::ssh_server::start(*rt->reactor, fo, std::make_shared<refuse_all>());
    if (!fs) return fail("the recording proxy endpoint: " + fs.message());
    rt->forward = std::move(*fs);
    forward->server = rt->forward.get();
    forward->user_ca_blobs = ca_blobs;
    for (const auto& line : id->host_ca_keys) {
      if (auto k = transport::public_key::from_authorized_key(line)) {
        forward->host_ca_blobs.push_back(k->blob());
      }
    }
    forward->proxy_id = id->host_id;
    forward->proxy_host_key = host_key->pub().authorized_key();
    forward->sink = sink;
    forward->sessions = [&sys, link, settings](const std::string& sid) {
      return spawn_session(sys, link, sid, settings->record_at_proxy.load());
    };
    forward->settings = settings;
    forward->pool = std::make_shared<blocking_pool>(2);
    rt->probes = forward->pool;
  }
  auto handler = std::make_shared<proxy_handler>(std::move(ca_blobs), dir, id->host_id, sink,
                                                 auth_calls, rt->queries, forward);
  handler->set_user_cas_source([settings] { return settings->user_cas(); });
  transport::ssh_server_options so;
  so.listen_address = cfg.proxy_service.listen_addr.host;
  so.port = cfg.proxy_service.listen_addr.port;
  so.host_keys = {*host_key};
  so.ciphers = join(cfg.global.ciphers);
  so.kex_algorithms = join(cfg.global.kex_algos);
  so.macs = join(cfg.global.mac_algos);
  so.max_connections = cfg.global.limits.max_connections;
  auto server = transport::ssh_server::start(*rt->reactor, so, handler);
  if (!server) {
    return fail("proxy_service.listen_addr " + cfg.proxy_service.listen_addr.to_string() + ": " +
                server.message());
  }
  rt->server = std::move(*server);
  handler->set_federation(fed.tunnels, fed.leaves);
  rt->tunnels = fed.tunnels;
  rt->leaves = fed.leaves;

  transport::ssh_server_options to = so;
  to.listen_address = cfg.proxy_service.tunnel_listen_addr.host;
  to.port = cfg.proxy_service.tunnel_listen_addr.port;
  auto on_tunnel = [&sys, tunnels = fed.tunnels](const std::string& cluster, std::uint64_t tid) {
    spawn_tunnel(sys, tunnels, cluster, tid);
  };
  auto tunnel = transport::ssh_server::start(
      *rt->reactor, to,
      make_tunnel_handler(fed.tunnels, fed.leaves, fed.self, std::move(on_tunnel)));
  if (!tunnel) {
    return fail("proxy_service.tunnel_listen_addr " +
                cfg.proxy_service.tunnel_listen_addr.to_string() + ": " + tunnel.message());
  }
  rt->tunnel = std::move(*tunnel);

  auto ctx = std::make_shared<web_context>();
  ctx->auth = auth_calls;
  ctx->cluster_name = id->cluster_name;
  ctx->server_version = std::string(tp::build_version());
  ctx->ssh_listen_addr = so.listen_address + ":" + std::to_string(rt->server->port());
  if (!cfg.proxy_service.ssh_public_addr.empty()) {
    ctx->ssh_public_addr = cfg.proxy_service.ssh_public_addr.front().to_string();
  }
  ctx->proxy_host_key = host_key->pub().authorized_key();
  ctx->second_factor =
      std::string(config::to_string(cfg.auth_service.authentication.second_factor));
  web_server_options wo;
  wo.bind_address = cfg.proxy_service.web_listen_addr.host;
  wo.port = cfg.proxy_service.web_listen_addr.port;
  wo.tls = std::move(tls);
  auto web = web_server::start(std::move(wo), make_web_router(ctx));
  if (!web) return fail("proxy_service.web_listen_addr: " + web.message());
  rt->web = std::move(*web);
  spdlog::info("proxy: ssh listening on {}:{}, web ({}) on {}:{}, reverse tunnels on {}:{}",
               so.listen_address, rt->server->port(),
               cfg.proxy_service.insecure_no_tls ? "http" : "https",
               cfg.proxy_service.web_listen_addr.host, rt->web->port(), to.listen_address,
               rt->tunnel->port());
  return sys.spawn(proxy_service, rt, std::move(children));
}

}  // namespace tp::actors
