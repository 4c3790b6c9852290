#include "actors/proxy/proxy_handler.hpp"

#include <spdlog/spdlog.h>

#include "actors/host/user_auth.hpp"
#include "actors/proxy/proxy_queries.hpp"
#include "actors/proxy/recording_forward.hpp"
#include "actors/proxy/tunnel_server.hpp"
#include "config/address.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_server_session.hpp"
#include "transport/ssh_server_socket.hpp"

namespace tp::actors {
namespace {

using namespace tp::transport;
using nlohmann::json;

// The user's roles as the certificate carries them; null: no restriction.
using user_policy = std::shared_ptr<const messages::access_policy>;

bool visible(const user_policy& policy, const messages::label_map& labels) {
  return !policy || policy->can_see(labels);
}

// A dial the user's roles forbid: logged and audited like a node's refusal.
void refuse_hidden(const proxy_handler& proxy, json ctx, const std::string& target) {
  const std::string why = "the user's roles do not allow node " + target;
  spdlog::info("proxy: refused {}: {}", ctx.value("user", ""), why);
  ctx["event"] = "auth";
  ctx["success"] = false;
  ctx["error"] = why;
  ctx["server_addr"] = target;
  proxy.emit(std::move(ctx));
}

// A leaf proxy's node list, cut down to what the user's roles show (the leaf does
// not know the user). Anything but a JSON list of nodes is answered as an error.
std::string filter_nodes_answer(const user_policy& policy, const std::string& answer) {
  if (!policy) return answer;
  auto j = json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) {
    if (j.is_object() && j.contains("error")) return answer;
    return json{{"error", "the leaf cluster's node list is malformed"}}.dump() + "\n";
  }
  json out = json::array();
  for (auto& n : j) {
    if (!n.is_object() || !n.contains("labels") || !n["labels"].is_object()) continue;
    messages::label_map labels;
    for (const auto& [k, v] : n["labels"].items()) {
      if (v.is_string()) labels[k] = v.get<std::string>();
    }
    if (policy->can_see(labels)) out.push_back(std::move(n));
  }
  return out.dump() + "\n";
}

// A session channel on the proxy: a subsystem that either lists the nodes or
// becomes a byte pipe to one (the client runs SSH with the node through it).
class proxy_channel : public channel_handler {
 public:
  proxy_channel(std::shared_ptr<proxy_handler> proxy, json ctx, user_policy policy)
      : proxy_(std::move(proxy)), ctx_(std::move(ctx)), policy_(std::move(policy)) {}

  void on_open(server_channel& ch) override { ch_ = &ch; }

  bool on_subsystem(std::string_view name) override {
    const std::string n(name);
    const std::string& own = proxy_->nodes().cluster_name();
    if (n == "tp-nodes" || n == "tp-nodes@" + own) {
      pending_ = proxy_->node_list(policy_.get()) + "\n";
      listing_ = true;
      flush();
      return true;
    }
    if (n == "tp-clusters") {
      pending_ = proxy_->clusters_json() + "\n";
      listing_ = true;
      flush();
      return true;
    }
    // "tp-nodes@east", "tp-sessions@east", ...: asked of the leaf's proxy.
    if (auto at = n.rfind('@'); at != std::string::npos && n.rfind("proxy:", 0) != 0) {
      const std::string what = n.substr(0, at), cluster = n.substr(at + 1);
      if (cluster == own) return is_proxy_query(what) && start_query(what);
      if (what == "tp-nodes") {
        filter_nodes_ = true;
        return start_remote(cluster, "@nodes", 0, true);
      }
      if (is_proxy_query(what)) return start_remote(cluster, "@q:" + what, 0, true);
      return false;
    }
    if (is_proxy_query(n)) return start_query(n);
    auto t = parse_proxy_subsystem(n);
    if (!t) return false;
    if (!t->cluster.empty() && t->cluster != own) {
      auto e = ctx_;
      e["event"] = "session.connect";
      e["server_addr"] = t->host + (t->port ? ":" + std::to_string(t->port) : std::string());
      e["cluster_name"] = t->cluster;
      proxy_->emit(std::move(e));
      return start_remote(t->cluster, t->host, t->port, false);
    }
    auto node = proxy_->nodes().resolve(t->host, t->port);
    const bool forward = proxy_->recording_at_proxy();
    if (!node && !forward) {
      spdlog::info("proxy: refused {}: no such node", n);
      return false;
    }
    // A node the user's roles hide is refused as if it were not there.
    if (!visible(policy_, node ? node->all_labels() : messages::label_map{})) {
      refuse_hidden(*proxy_, ctx_, t->host);
      return false;
    }
    if (forward) return start_forward(*t, node);
    auto dial = target_of(*node);
    if (!dial) return false;
    auto e = ctx_;
    e["event"] = "session.connect";
    e["server_addr"] = node->spec.addr;
    e["server_id"] = node->meta.name;
    proxy_->emit(std::move(e));
    inner_ = socket_channel::connect_to(dial->host, dial->port);
    inner_->on_open(*ch_);
    return true;
  }

  bool on_agent_forwarding_request() override { return proxy_->recording_at_proxy(); }

  std::size_t on_data(std::string_view data) override {
    return inner_ ? inner_->on_data(data) : data.size();
  }
  void on_eof() override {
    if (inner_) inner_->on_eof();
  }
  void on_writable() override {
    if (inner_)
      inner_->on_writable();
    else if (listing_)
      flush();
  }
  void on_close() override {
    if (inner_) inner_->on_close();
  }
  ~proxy_channel() override {
    if (query_) query_->channel = nullptr;
  }

 private:
  // Where a query's answer comes back to: touched on the loop thread only.
  struct query_slot {
    proxy_channel* channel = nullptr;
  };

  // Recording proxy mode: a registered node is dialed at its announced address
  // and must present the key it announced; any other host:port must present a
  // host certificate of the cluster (proxy_checks_host_keys).
  bool start_forward(const proxy_target& t, const std::optional<messages::node>& node) {
    forward_target_spec spec;
    spec.name = t.host;
    auto dial = node ? target_of(*node) : std::nullopt;
    // Found by its address: the port must be the node's too (an OpenSSH server
    // may share the host).
    const bool by_name = node && (t.host == node->spec.hostname || t.host == node->meta.name ||
                                  t.host.rfind(node->spec.hostname + ".", 0) == 0);
    if (dial && !by_name && t.port != 0 && t.port != dial->port) dial.reset();
    if (dial) {
      spec.host = dial->host;
      spec.port = dial->port;
      if (auto k = public_key::from_authorized_key(node->spec.host_key))
        spec.pinned_key = k->blob();
      spec.node_id = node->meta.name;
      spec.labels = node->all_labels();
    } else {
      if (t.host.empty()) return false;
      spec.host = t.host;
      spec.port = t.port ? t.port : 22;
    }
    auto e = ctx_;
    e["event"] = "session.connect";
    e["server_addr"] = config::address{spec.host, spec.port}.to_string();
    if (!spec.node_id.empty()) e["server_id"] = spec.node_id;
    proxy_->emit(std::move(e));
    inner_ = make_forward_channel(proxy_->forward(), std::move(spec));
    inner_->on_open(*ch_);
    return true;
  }

  // Through a leaf cluster's reverse tunnel. Refusals are answered, not dropped, so
  // the user reads why: {"error": ...} for tsh's queries, a stderr line for ssh.
  bool start_remote(const std::string& cluster, const std::string& host, std::uint16_t port,
                    bool query) {
    tp::result<unique_fd> fd = make_error("cluster " + cluster + " is not a trusted cluster");
    if (proxy_->tunnels() != nullptr && proxy_->is_leaf(cluster)) {
      fd = proxy_->tunnels()->dial(cluster, host, port);
    }
    if (!fd) {
      spdlog::info("proxy: {} asked for {}@{}: {}", ctx_.value("user", ""), host, cluster,
                   fd.message());
      if (query) {
        pending_ = json{{"error", fd.message()}}.dump() + "\n";
      } else {
        pending_err_ = "error: " + fd.message() + "\n";
      }
      exit_code_ = 1;
      listing_ = true;
      flush();
      return true;
    }
    if (query) {
      // Read whole, then answered like a local query (with its exit status).
      auto stream = std::make_shared<unique_fd>(std::move(*fd));
      return run_blocking(
          [stream] { return read_remote_answer(stream->get(), std::chrono::seconds{60}); });
    }
    inner_ = std::make_unique<socket_channel>(std::move(*fd));
    inner_->on_open(*ch_);
    return true;
  }

  bool start_query(const std::string& name) {
    auto auth = proxy_->auth();
    if (!auth) return false;
    spdlog::debug("proxy: {} asks {}", ctx_.value("user", ""), name);
    return run_blocking([auth, name] { return answer_proxy_query(*auth, name); });
  }

  // Runs `work` on the proxy's blocking pool and answers with its result.
  bool run_blocking(std::function<query_answer()> work) {
    auto* pool = proxy_->pool();
    if (pool == nullptr) return false;
    query_ = std::make_shared<query_slot>(query_slot{this});
    std::weak_ptr<query_slot> slot = query_;
    auto* loop = &ch_->loop();
    return pool->submit([slot, loop, work = std::move(work)] {
      auto answer = std::make_shared<query_answer>(work());
      loop->post([slot, answer] {
        if (auto s = slot.lock(); s && s->channel) s->channel->answer(std::move(*answer));
      });
    });
  }

  void answer(query_answer a) {
    pending_ = filter_nodes_ ? filter_nodes_answer(policy_, a.output) : std::move(a.output);
    exit_code_ = a.exit_code;
    listing_ = true;
    flush();
  }

  void flush() {
    while (!pending_err_.empty()) {
      const auto n = ch_->write_stderr(pending_err_);
      if (n == 0) return;  // on_writable follows
      pending_err_.erase(0, n);
    }
    while (!pending_.empty()) {
      const auto n = ch_->write(pending_);
      if (n == 0) return;  // on_writable follows
      pending_.erase(0, n);
    }
    if (!done_) {
      done_ = true;
      ch_->send_exit_status(exit_code_);
      ch_->send_eof();
      ch_->close();
    }
  }

  std::shared_ptr<proxy_handler> proxy_;
  json ctx_;
  user_policy policy_;
  bool filter_nodes_ = false;  // the answer is a leaf's node list
  server_channel* ch_ = nullptr;
  std::unique_ptr<channel_handler> inner_;
  std::string pending_;
  std::string pending_err_;  // stderr, before pending_
  bool listing_ = false;
  bool done_ = false;
  int exit_code_ = 0;
  std::shared_ptr<query_slot> query_;
};

class proxy_session : public session_handler {
 public:
  proxy_session(std::shared_ptr<proxy_handler> proxy, json ctx, user_policy policy)
      : proxy_(std::move(proxy)), ctx_(std::move(ctx)), policy_(std::move(policy)) {}

  std::unique_ptr<channel_handler> open_channel(const channel_open_request& req) override {
    if (req.kind == channel_kind::session) {
      return std::make_unique<proxy_channel>(proxy_, ctx_, policy_);
    }
    if (req.kind != channel_kind::direct_tcpip) return nullptr;
    auto node = proxy_->nodes().resolve(req.host, req.port);
    if (!node) {
      spdlog::info("proxy: refused a jump to {}:{}: no such node", req.host, req.port);
      return nullptr;
    }
    if (!visible(policy_, node->all_labels())) {
      refuse_hidden(*proxy_, ctx_, req.host);
      return nullptr;
    }
    auto dial = target_of(*node);
    if (!dial) return nullptr;
    auto e = ctx_;
    e["event"] = "session.connect";
    e["server_addr"] = node->spec.addr;
    e["server_id"] = node->meta.name;
    proxy_->emit(std::move(e));
    return socket_channel::connect_to(dial->host, dial->port);
  }

 private:
  std::shared_ptr<proxy_handler> proxy_;
  json ctx_;
  user_policy policy_;
};

}  // namespace

std::string nodes_json(const std::vector<messages::node>& nodes, const std::string& host_key) {
  json out = json::array();
  for (const auto& n : nodes) {
    out.push_back({{"hostname", n.spec.hostname},
                   {"id", n.meta.name},
                   {"addr", n.spec.addr},
                   {"labels", n.all_labels()},
                   {"host_key", host_key.empty() ? n.spec.host_key : host_key}});
    if (!host_key.empty()) out.back()["recording_proxy"] = true;
  }
  return out.dump();
}

bool proxy_handler::recording_at_proxy() const {
  return forward_ && forward_->active();
}

std::string proxy_handler::node_list(const messages::access_policy* policy) const {
  auto nodes = nodes_->list();
  if (policy != nullptr) {
    std::erase_if(nodes, [&](const messages::node& n) { return !policy->can_see(n.all_labels()); });
  }
  return nodes_json(nodes, recording_at_proxy() ? forward_->proxy_host_key : std::string());
}

proxy_handler::proxy_handler(std::vector<std::string> user_ca_blobs,
                             std::shared_ptr<node_directory> nodes, std::string server_id,
                             proxy_audit_sink sink, std::shared_ptr<auth_pool> auth,
                             std::shared_ptr<blocking_pool> pool,
                             std::shared_ptr<const recording_forward> forward)
    : ca_blobs_(std::move(user_ca_blobs)),
      nodes_(std::move(nodes)),
      server_id_(std::move(server_id)),
      sink_(std::move(sink)),
      auth_(std::move(auth)),
      pool_(std::move(pool)),
      forward_(std::move(forward)) {}

void proxy_handler::emit(json event) const {
  if (sink_) sink_(std::move(event));
}

void proxy_handler::set_federation(std::shared_ptr<tunnel_registry> tunnels,
                                   std::shared_ptr<const trusted_leaves> leaves) {
  tunnels_ = std::move(tunnels);
  leaves_ = std::move(leaves);
}

bool proxy_handler::is_leaf(const std::string& cluster) const {
  return leaves_ && !leaves_->host_cas_of(cluster).empty();
}

std::string proxy_handler::clusters_json() const {
  json out = json::array();
  out.push_back({{"name", nodes_->cluster_name()}, {"status", "online"}, {"local", true}});
  if (tunnels_ && leaves_) {
    for (const auto& t : tunnels_->list(leaves_->names())) {
      if (!is_leaf(t.cluster)) continue;  // a tunnel whose trust was removed
      json c{{"name", t.cluster}, {"status", t.online ? "online" : "offline"}};
      if (t.last_heartbeat_unix > 0) c["last_heartbeat"] = t.last_heartbeat_unix;
      out.push_back(std::move(c));
    }
  }
  return out.dump();
}

tp::status proxy_handler::authorize(const auth_attempt& a) {
  auto current = current_user_cas_ ? current_user_cas_() : nullptr;
  if (auto st = check_user_certificate(current ? *current : ca_blobs_, a); !st) return st;
  auto cert = parse_certificate(a.certificate_blob);
  if (!cert) return cert.err();
  if (auto policy = access_policy_of(*cert); !policy) return policy.err();
  return {};
}

std::unique_ptr<session_handler> proxy_handler::on_authenticated(server_session& s,
                                                                 const auth_attempt& a) {
  auto cert = parse_certificate(a.certificate_blob);
  if (!cert) return nullptr;
  auto policy = access_policy_of(*cert);
  if (!policy) return nullptr;  // authorize() refused it already
  json ctx{{"user", cert->key_id},
           {"login", a.user},
           {"addr.remote", s.peer_address() + ":" + std::to_string(s.peer_port())},
           {"proxy_id", server_id_},
           {"namespace", "default"}};
  user_policy up;
  if (*policy) up = std::make_shared<const messages::access_policy>(std::move(**policy));
  return std::make_unique<proxy_session>(shared_from_this(), std::move(ctx), std::move(up));
}

void proxy_handler::on_auth_failure(const auth_failure& f) {
  if (f.probe && f.certificate_blob.empty()) {
    spdlog::info("proxy: refused {} from {}: {}", f.user, f.peer_address, f.reason);
    return;
  }
  spdlog::warn("proxy: refused {} from {}: {}", f.user, f.peer_address, f.reason);
  emit(json{{"event", "auth"},
            {"success", false},
            {"login", f.user},
            {"error", f.reason},
            {"addr.remote", f.peer_address + ":" + std::to_string(f.peer_port)}});
}

}  // namespace tp::actors
