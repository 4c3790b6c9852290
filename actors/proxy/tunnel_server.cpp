#include "actors/proxy/tunnel_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "transport/ssh_cert.hpp"
#include "transport/ssh_reactor_loop.hpp"
#include "transport/ssh_server_channel.hpp"
#include "transport/ssh_server_session.hpp"
#include "transport/ssh_server_socket.hpp"
#include "transport/tunnel_frame.hpp"

namespace tp::actors {
namespace {

using namespace tp::transport;

std::int64_t unix_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// "tp-tunnel": our host certificate first, then one answer per heartbeat line.
class heartbeat_channel : public channel_handler {
 public:
  heartbeat_channel(std::shared_ptr<tunnel_registry> reg, std::string cluster, std::uint64_t id,
                    std::shared_ptr<const tunnel_self> self)
      : reg_(std::move(reg)), cluster_(std::move(cluster)), id_(id), self_(std::move(self)) {}

  void on_open(server_channel& ch) override { ch_ = &ch; }
  bool on_subsystem(std::string_view name) override {
    if (name != "tp-tunnel" || started_) return false;
    started_ = true;
    pending_ = self_->host_cert() + "\n";
    flush();
    return true;
  }
  std::size_t on_data(std::string_view data) override {
    if (!started_) return data.size();
    if (auto st = lines_.feed(data); !st) {
      spdlog::warn("tunnel from {}: {}", cluster_, st.message());
      ch_->session().disconnect("protocol error: " + st.message());
      return data.size();
    }
    while (auto line = lines_.next()) {
      reg_->heartbeat(cluster_, id_, std::move(*line));
      // The answer carries our CAs: the leaf follows our rotations (tunnel_cas.hpp).
      if (pending_.size() < max_tunnel_line) pending_ += self_->answer() + "\n";
    }
    flush();
    return data.size();
  }
  void on_writable() override { flush(); }

 private:
  void flush() {
    while (!pending_.empty()) {
      const auto n = ch_->write(pending_);
      if (n == 0) return;
      pending_.erase(0, n);
    }
  }

  std::shared_ptr<tunnel_registry> reg_;
  std::string cluster_;
  std::uint64_t id_;
  std::shared_ptr<const tunnel_self> self_;
  server_channel* ch_ = nullptr;
  bool started_ = false;
  std::string pending_;
  line_reader lines_;
};

class tunnel_session : public session_handler {
 public:
  tunnel_session(std::shared_ptr<tunnel_registry> reg, std::string cluster, std::uint64_t id,
                 std::shared_ptr<const tunnel_self> self)
      : reg_(std::move(reg)), cluster_(std::move(cluster)), id_(id), self_(std::move(self)) {}

  std::unique_ptr<channel_handler> open_channel(const channel_open_request& req) override {
    // Only the heartbeat channel: a leaf never reaches into the root.
    if (req.kind != channel_kind::session || heartbeat_opened_) return nullptr;
    heartbeat_opened_ = true;
    return std::make_unique<heartbeat_channel>(reg_, cluster_, id_, self_);
  }
  void on_close(const std::string& reason) override {
    spdlog::info("tunnel: cluster {} disconnected: {}", cluster_, reason);
    reg_->remove(cluster_, id_);
  }

 private:
  std::shared_ptr<tunnel_registry> reg_;
  std::string cluster_;
  std::uint64_t id_;
  std::shared_ptr<const tunnel_self> self_;
  bool heartbeat_opened_ = false;
};

class tunnel_handler : public ssh_server_handler {
 public:
  tunnel_handler(std::shared_ptr<tunnel_registry> reg, std::shared_ptr<const trusted_leaves> leaves,
                 std::shared_ptr<const tunnel_self> self, tunnel_opened on_open)
      : reg_(std::move(reg)),
        leaves_(std::move(leaves)),
        self_(std::move(self)),
        on_open_(std::move(on_open)) {}

  status authorize(const auth_attempt& a) override {
    auto cert = parse_certificate(a.certificate_blob);
    if (!cert) return make_error("not a certificate: " + cert.message());
    auto cas = leaves_->host_cas_of(a.user);
    if (cas.empty()) return make_error("cluster \"" + a.user + "\" is not a trusted cluster");
    verify_options o;
    o.trusted_ca_blobs = std::move(cas);
    o.expected_kind = cert_type::host;
    o.clock_skew = std::chrono::seconds{60};
    return verify_certificate(*cert, o);
  }

  std::unique_ptr<session_handler> on_authenticated(server_session& s,
                                                    const auth_attempt& a) override {
    const std::string remote = s.peer_address() + ":" + std::to_string(s.peer_port());
    spdlog::info("tunnel: cluster {} connected from {}", a.user, remote);
    reg_->add(a.user, s.weak_from_this(), &s.loop(), s.id(), remote);
    if (on_open_) on_open_(a.user, s.id());
    return std::make_unique<tunnel_session>(reg_, a.user, s.id(), self_);
  }

  void on_auth_failure(const auth_failure& f) override {
    if (f.probe) return;
    spdlog::warn("tunnel: refused {} from {}: {}", f.user, f.peer_address, f.reason);
  }

 private:
  std::shared_ptr<tunnel_registry> reg_;
  std::shared_ptr<const trusted_leaves> leaves_;
  std::shared_ptr<const tunnel_self> self_;
  tunnel_opened on_open_;
};

}  // namespace

void trusted_leaves::replace(std::map<std::string, std::vector<std::string>> host_ca_blobs) {
  std::lock_guard<std::mutex> lock(mu_);
  cas_ = std::move(host_ca_blobs);
}

std::vector<std::string> trusted_leaves::host_cas_of(const std::string& cluster) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cas_.find(cluster);
  return it == cas_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> trusted_leaves::names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, keys] : cas_) out.push_back(name);
  return out;
}

bool tunnel_registry::entry::stale() const {
  return std::chrono::steady_clock::now() - last_beat > tunnel_offline_after;
}

void tunnel_registry::add(const std::string& cluster, std::weak_ptr<server_session> s,
                          reactor_loop* loop, std::uint64_t id, std::string remote) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& e = tunnels_[cluster];
  // A newer tunnel of the same cluster replaces the older one (a reconnect).
  if (auto old = e.session.lock(); old && e.loop && e.id != id) {
    std::weak_ptr<server_session> w = old;
    e.loop->post([w] {
      if (auto o = w.lock()) o->disconnect("replaced by a newer tunnel");
    });
  }
  e.session = std::move(s);
  e.loop = loop;
  e.id = id;
  e.remote = std::move(remote);
  e.last_beat = std::chrono::steady_clock::now();
  e.last_beat_wall = std::chrono::system_clock::now();
}

void tunnel_registry::remove(const std::string& cluster, std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tunnels_.find(cluster);
  if (it == tunnels_.end() || it->second.id != id) return;
  last_seen_[cluster] = it->second.last_beat_wall;
  tunnels_.erase(it);
}

void tunnel_registry::heartbeat(const std::string& cluster, std::uint64_t id, std::string info) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tunnels_.find(cluster);
  if (it == tunnels_.end() || it->second.id != id) return;
  it->second.last_beat = std::chrono::steady_clock::now();
  it->second.last_beat_wall = std::chrono::system_clock::now();
  it->second.info = std::move(info);
}

tp::result<unique_fd> tunnel_registry::dial(const std::string& cluster, const std::string& host,
                                            std::uint16_t port) {
  std::weak_ptr<server_session> session;
  reactor_loop* loop = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tunnels_.find(cluster);
    if (it == tunnels_.end() || it->second.stale() || it->second.session.expired()) {
      return make_error("cluster " + cluster + " is offline");
    }
    session = it->second.session;
    loop = it->second.loop;
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return make_error(std::string("socketpair: ") + std::strerror(errno));
  }
  unique_fd ours(sv[0]);
  auto theirs = std::make_shared<unique_fd>(sv[1]);
  const bool posted = loop->post([session, theirs, host, port] {
    auto s = session.lock();
    if (!s) return;  // `theirs` closes: the caller sees EOF
    auto st =
        s->open_forward_channel(host, port, std::make_unique<socket_channel>(std::move(*theirs)));
    if (!st) spdlog::warn("tunnel: cannot open a channel to {}:{}: {}", host, port, st.message());
  });
  if (!posted) return make_error("cluster " + cluster + " is offline");
  return ours;
}

std::vector<tunnel_status> tunnel_registry::list(const std::vector<std::string>& known) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<tunnel_status> out;
  for (const auto& [name, e] : tunnels_) {
    out.push_back(
        {name, !e.stale() && !e.session.expired(), unix_of(e.last_beat_wall), e.remote, e.info});
  }
  for (const auto& name : known) {
    if (tunnels_.count(name)) continue;
    tunnel_status st{name, false, 0, "", ""};
    if (auto it = last_seen_.find(name); it != last_seen_.end()) {
      st.last_heartbeat_unix = unix_of(it->second);
    }
    out.push_back(std::move(st));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.cluster < b.cluster; });
  return out;
}

void tunnel_registry::sweep(const std::vector<std::string>& trusted) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, e] : tunnels_) {
    if (std::find(trusted.begin(), trusted.end(), name) != trusted.end() || !e.loop) continue;
    std::weak_ptr<server_session> w = e.session;
    e.loop->post([w] {
      if (auto s = w.lock()) s->disconnect("the cluster is no longer trusted");
    });
  }
}

tunnel_registry::health tunnel_registry::police(const std::string& cluster, std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tunnels_.find(cluster);
  if (it == tunnels_.end() || it->second.id != id || it->second.session.expired()) {
    return health::gone;
  }
  if (!it->second.stale()) return health::alive;
  std::weak_ptr<server_session> w = it->second.session;
  if (it->second.loop) {
    it->second.loop->post([w] {
      if (auto s = w.lock()) s->disconnect("no heartbeat");
    });
  }
  return health::stale;
}

std::shared_ptr<ssh_server_handler> make_tunnel_handler(
    std::shared_ptr<tunnel_registry> registry, std::shared_ptr<const trusted_leaves> leaves,
    std::shared_ptr<const tunnel_self> self, tunnel_opened on_open) {
  return std::make_shared<tunnel_handler>(std::move(registry), std::move(leaves), std::move(self),
                                          std::move(on_open));
}

}  // namespace tp::actors
