#include "actors/proxy/cluster_link.hpp"

#include <sys/socket.h>

#include <random>
#include <thread>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/host/heartbeat.hpp"
#include "actors/host/outbound_proxy.hpp"
#include "actors/proxy/node_directory.hpp"
#include "actors/proxy/proxy_handler.hpp"
#include "actors/proxy/proxy_queries.hpp"
#include "actors/proxy/tunnel_server.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_tunnel_client.hpp"
#include "transport/ssh_wire.hpp"

namespace tp::actors {
namespace {

using dial_atom = caf::atom_constant<caf::atom("tp_tdial")>;
constexpr std::chrono::seconds dial_timeout{10};

struct link_state {
  unsigned failures = 0;
  std::mt19937 rng{std::random_device{}()};
  std::shared_ptr<blocking_pool> queries = std::make_shared<blocking_pool>(2);
  static inline const char* name = "trusted_cluster_link";
};

// The root proxy's host certificate must be signed by the root's host CA and
// certify the very key the SSH handshake showed us.
status check_root(const link_shared& shared, const std::string& cert_line,
                  const std::string& server_key_blob) {
  auto cert = transport::parse_certificate_line(cert_line);
  if (!cert) return make_error("its host certificate does not parse: " + cert.message());
  transport::verify_options o;
  o.trusted_ca_blobs = shared.root_host_ca_blobs();
  o.expected_kind = transport::cert_type::host;
  o.clock_skew = std::chrono::seconds{60};
  if (auto st = transport::verify_certificate(*cert, o); !st) return st;
  if (cert->key.blob() != server_key_blob) {
    return make_error("its host certificate is for another key than the one it presented");
  }
  return {};
}

// A stream whose far end gets `answer` (computed on the pool) and then EOF.
result<int> answer_stream(blocking_pool& pool, std::function<std::string()> answer) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return make_error("socketpair failed");
  }
  auto theirs = std::make_shared<transport::unique_fd>(sv[1]);
  const bool queued = pool.submit([theirs, answer = std::move(answer)] {
    const std::string text = answer();
    std::string_view rest = text;
    while (!rest.empty()) {
      const ssize_t n = ::send(theirs->get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  });
  if (!queued) {
    ::close(sv[0]);
    return make_error("too many queries at once");
  }
  return sv[0];
}

result<int> serve(const cluster_link_context& ctx, blocking_pool& pool, const std::string& host,
                  std::uint16_t port) {
  if (host == "@nodes") {
    auto nodes = ctx.nodes;
    return answer_stream(pool, [nodes] { return nodes_json(nodes->list()) + "\n"; });
  }
  if (host.rfind("@q:", 0) == 0) {
    const std::string q = host.substr(3);
    if (!is_proxy_query(q)) return make_error("unknown query " + q);
    auto auth = ctx.auth;
    return answer_stream(pool, [auth, q] { return answer_proxy_query(*auth, q).output; });
  }
  auto node = ctx.nodes->resolve(host);
  if (!node) return make_error("no node " + host + " in cluster " + ctx.cluster_name);
  auto dial = target_of(*node);
  if (!dial) return make_error("node " + host + " has no usable address");
  (void)port;  // the node's announced port: the name picked the node
  auto fd = transport::dial_tcp(dial->host, dial->port, dial_timeout);
  if (!fd) return fd.err();
  return fd->release();
}

caf::behavior link_actor(caf::stateful_actor<link_state>* self,
                         std::shared_ptr<const cluster_link_context> ctx, cluster_link_target t,
                         std::shared_ptr<std::atomic<bool>> stop,
                         std::shared_ptr<link_shared> shared) {
  self->attach_functor([q = self->state.queries] { q->stop(); });
  self->send(self, dial_atom::value);
  return {[=](dial_atom) {
    auto& st = self->state;
    if (stop->load()) {
      self->quit();
      return;
    }
    bool ready = false;
    status ended;
    auto fd = transport::dial_tcp(t.tunnel.host, t.tunnel.port, dial_timeout, t.via);
    if (!fd) {
      ended = fd.err();
    } else {
      transport::tunnel_client_options o;
      o.fd = fd->release();
      o.user = ctx->cluster_name;
      o.private_key = ctx->host_key;
      o.certificate = ctx->self->host_cert();
      o.heartbeat = tunnel_heartbeat_interval;
      o.check_server = [shared](const std::string& line, const std::string& blob) {
        return check_root(*shared, line, blob);
      };
      o.on_answer = [shared](const std::string& line) { shared->set_last_answer(line); };
      auto pool = st.queries;
      o.dial = [ctx, pool](const std::string& host, std::uint16_t port) {
        return serve(*ctx, *pool, host, port);
      };
      o.heartbeat_payload = [ctx] { return ctx->self->heartbeat(ctx->nodes->list().size()); };
      o.on_ready = [&] {
        ready = true;
        spdlog::info("tunnel to cluster {} at {} is up", t.root, t.tunnel.to_string());
      };
      o.stop = stop.get();
      ended = transport::run_tunnel_client(std::move(o));
      shared->set_last_answer({});  // what a gone root announced is not news any more
    }
    if (stop->load()) {
      spdlog::info("tunnel to cluster {} closed", t.root);
      self->quit();
      return;
    }
    if (ready) {
      spdlog::warn("tunnel to cluster {} lost: {}", t.root, ended.message());
      st.failures = 1;
    } else if (st.failures++ == 0) {
      spdlog::warn("tunnel to cluster {} at {}{}: {}", t.root, t.tunnel.to_string(),
                   t.via ? " via " + t.via->name() : std::string(), ended.message());
    }
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    auto delay = reconnect_delay(st.failures, jitter(st.rng));
    // Sleep in short steps so a stop is seen at once.
    const auto until = std::chrono::steady_clock::now() + delay;
    while (!stop->load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    self->send(self, dial_atom::value);
  }};
}

}  // namespace

tp::result<cluster_link_target> link_target_of(const messages::trusted_cluster& tc) {
  cluster_link_target t;
  t.root = tc.meta.name;
  if (!tc.spec.tunnel_addr.empty()) {
    auto a = config::parse_address(tc.spec.tunnel_addr, config::address_kind::proxy_tunnel);
    if (!a) return make_error("trusted_cluster " + tc.meta.name + ": tunnel_addr: " + a.message());
    t.tunnel = *a;
  } else {
    auto a = config::parse_address(tc.spec.web_proxy_addr, config::address_kind::proxy_web);
    if (!a) {
      return make_error("trusted_cluster " + tc.meta.name + ": web_proxy_addr: " + a.message());
    }
    t.tunnel = {a->host, config::default_port(config::address_kind::proxy_tunnel)};
  }
  auto via = outbound_proxy_for(t.tunnel.host, t.tunnel.port);
  if (!via) return via.err();
  t.via = std::move(*via);
  return t;
}

void cluster_link::shutdown() {
  if (stop) stop->store(true);
  if (actor) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

cluster_link spawn_cluster_link(caf::actor_system& sys,
                                std::shared_ptr<const cluster_link_context> ctx,
                                cluster_link_target target,
                                std::vector<std::string> root_host_ca_blobs) {
  cluster_link out;
  out.stop = std::make_shared<std::atomic<bool>>(false);
  out.target = target;
  out.shared = std::make_shared<link_shared>();
  out.shared->set_root_host_ca_blobs(std::move(root_host_ca_blobs));
  out.actor =
      sys.spawn<caf::detached>(link_actor, std::move(ctx), std::move(target), out.stop, out.shared);
  return out;
}

}  // namespace tp::actors
