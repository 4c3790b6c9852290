#include "actors/proxy/proxy_handler.hpp"

#include <spdlog/spdlog.h>

#include "actors/host/user_auth.hpp"
#include "actors/proxy/proxy_queries.hpp"
#include "actors/proxy/recording_forward.hpp"
#include "config/address.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_server_session.hpp"
#include "transport/ssh_server_socket.hpp"

namespace tp::actors {
namespace {

using namespace tp::transport;
using nlohmann::json;

struct dial_target {
  std::string host;
  std::uint16_t port = 0;
  std::string node_name;
};

std::optional<dial_target> target_of(const messages::node& n) {
  const auto& addr = n.spec.addr;
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  dial_target t;
  t.host = addr.substr(0, colon);
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  try {
    const int port = std::stoi(addr.substr(colon + 1));
    if (port <= 0 || port > 65535) return std::nullopt;
    t.port = static_cast<std::uint16_t>(port);
  } catch (...) {
    return std::nullopt;
  }
  t.node_name = n.spec.hostname;
  return t;
}

// A session channel on the proxy: a subsystem that either lists the nodes or
// becomes a byte pipe to one (the client runs SSH with the node through it).
class proxy_channel : public channel_handler {
 public:
  proxy_channel(std::shared_ptr<proxy_handler> proxy, json ctx)
      : proxy_(std::move(proxy)), ctx_(std::move(ctx)) {}

  void on_open(server_channel& ch) override { ch_ = &ch; }

  bool on_subsystem(std::string_view name) override {
    const std::string n(name);
    if (n == "tp-nodes") {
      pending_ = proxy_->node_list() + "\n";
      listing_ = true;
      flush();
      return true;
    }
    if (is_proxy_query(n)) return start_query(n);
    auto t = parse_proxy_subsystem(n);
    if (!t) return false;
    if (!t->cluster.empty() && t->cluster != proxy_->nodes().cluster_name()) {
      spdlog::info("proxy: refused {}: unknown cluster {}", n, t->cluster);
      return false;
    }
    auto node = proxy_->nodes().resolve(t->host);
    const bool forward = proxy_->recording_at_proxy();
    if (!node && !forward) {
      spdlog::info("proxy: refused {}: no such node", n);
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

  bool start_query(const std::string& name) {
    auto* pool = proxy_->pool();
    auto auth = proxy_->auth();
    if (pool == nullptr || !auth) return false;
    query_ = std::make_shared<query_slot>(query_slot{this});
    std::weak_ptr<query_slot> slot = query_;
    auto* loop = &ch_->loop();
    spdlog::debug("proxy: {} asks {}", ctx_.value("user", ""), name);
    return pool->submit([slot, loop, auth, name] {
      auto answer = std::make_shared<query_answer>(answer_proxy_query(*auth, name));
      loop->post([slot, answer] {
        if (auto s = slot.lock(); s && s->channel) s->channel->answer(std::move(*answer));
      });
    });
  }

  void answer(query_answer a) {
    pending_ = std::move(a.output);
    exit_code_ = a.exit_code;
    listing_ = true;
    flush();
  }

  void flush() {
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
  server_channel* ch_ = nullptr;
  std::unique_ptr<channel_handler> inner_;
  std::string pending_;
  bool listing_ = false;
  bool done_ = false;
  int exit_code_ = 0;
  std::shared_ptr<query_slot> query_;
};

class proxy_session : public session_handler {
 public:
  proxy_session(std::shared_ptr<proxy_handler> proxy, json ctx)
      : proxy_(std::move(proxy)), ctx_(std::move(ctx)) {}

  std::unique_ptr<channel_handler> open_channel(const channel_open_request& req) override {
    if (req.kind == channel_kind::session) return std::make_unique<proxy_channel>(proxy_, ctx_);
    if (req.kind != channel_kind::direct_tcpip) return nullptr;
    auto node = proxy_->nodes().resolve(req.host);
    if (!node) {
      spdlog::info("proxy: refused a jump to {}:{}: no such node", req.host, req.port);
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

std::string proxy_handler::node_list() const {
  return nodes_json(nodes_->list(),
                    recording_at_proxy() ? forward_->proxy_host_key : std::string());
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

tp::status proxy_handler::authorize(const auth_attempt& a) {
  return check_user_certificate(ca_blobs_, a);
}

std::unique_ptr<session_handler> proxy_handler::on_authenticated(server_session& s,
                                                                 const auth_attempt& a) {
  auto cert = parse_certificate(a.certificate_blob);
  if (!cert) return nullptr;
  json ctx{{"user", cert->key_id},
           {"login", a.user},
           {"addr.remote", s.peer_address() + ":" + std::to_string(s.peer_port())},
           {"proxy_id", server_id_},
           {"namespace", "default"}};
  return std::make_unique<proxy_session>(shared_from_this(), std::move(ctx));
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
