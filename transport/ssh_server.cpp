#include "transport/ssh_server.hpp"

#include <arpa/inet.h>
#include <libssh/server.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <tuple>

#include "transport/listener_set.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/ssh_server_core.hpp"
#include "transport/ssh_server_session.hpp"

namespace tp::transport {

namespace {

constexpr auto k_sweep_interval = std::chrono::milliseconds(1000);
constexpr int k_accepts_per_round = 64;

// ssh_session ownership while a new connection travels to its loop.
struct pending_session {
  ssh_session s;
  explicit pending_session(ssh_session x) : s(x) {}
  ~pending_session() {
    if (s) ssh_free(s);
  }
  ssh_session release() { return std::exchange(s, nullptr); }
};

status import_host_key(ssh_bind bind, ssh_key key, const std::string& what) {
  // SSH_BIND_OPTIONS_IMPORT_KEY takes ownership on success.
  if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
    ssh_key_free(key);
    return make_error("cannot use host key " + what + ": " + ssh_get_error(bind));
  }
  return {};
}

status configure_bind(ssh_bind bind, const ssh_server_options& o) {
  // Our settings only: no /etc/libssh/libssh_server.config.
  bool process_config = false;
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &process_config);
  for (const auto& path : o.host_key_files) {
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK)
      return make_error("cannot read host key file " + path +
                        " (an unencrypted private key is needed)");
    if (auto st = import_host_key(bind, key, path); !st) return st;
  }
  for (const auto& kp : o.host_keys) {
    const std::string pem = encode_openssh_private_key(kp);
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_base64(pem.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK)
      return make_error("libssh cannot load the " + std::string(key_type_name(kp.type())) +
                        " host key");
    if (auto st = import_host_key(bind, key, std::string(key_type_name(kp.type()))); !st) return st;
  }
  struct list_option {
    const std::string& value;
    std::vector<ssh_bind_options_e> opts;
    const char* what;
  };
  const list_option lists[] = {
      {o.ciphers, {SSH_BIND_OPTIONS_CIPHERS_C_S, SSH_BIND_OPTIONS_CIPHERS_S_C}, "cipher"},
      {o.kex_algorithms, {SSH_BIND_OPTIONS_KEY_EXCHANGE}, "key exchange"},
      {o.macs, {SSH_BIND_OPTIONS_HMAC_C_S, SSH_BIND_OPTIONS_HMAC_S_C}, "MAC"},
      {o.hostkey_algorithms, {SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS}, "host key algorithm"},
  };
  for (const auto& l : lists) {
    if (l.value.empty()) continue;
    for (auto opt : l.opts)
      if (ssh_bind_options_set(bind, opt, l.value.c_str()) != SSH_OK)
        return make_error(std::string("unsupported ") + l.what + " list '" + l.value +
                          "': " + ssh_get_error(bind));
  }
  return {};
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

std::pair<std::string, std::uint16_t> address_of(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return {buf, ntohs(a->sin_port)};
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
    ::inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
  }
  return {buf, ntohs(a->sin6_port)};
}

}  // namespace

// ---- per-loop processing ----

void server_loop_state::process_round() {
  ++round;
  if (dirty.empty() && polling.empty()) return;
  std::vector<server_session*> batch;
  batch.swap(dirty);
  for (auto* s : batch) s->dirty_queued = false;
  batch.insert(batch.end(), polling.begin(), polling.end());
  for (auto* s : batch) {
    auto it = sessions.find(s);
    if (it == sessions.end() || s->processed_round == round) continue;
    s->processed_round = round;
    std::shared_ptr<server_session> keep = it->second;
    s->process();
    if (s->finished()) {
      polling.erase(s);
      sessions.erase(s);
      --core->live_sessions;
    } else if (s->needs_polling()) {
      polling.insert(s);
    } else {
      polling.erase(s);
    }
  }
  if (!dirty.empty()) loop->request_round();
}

void server_loop_state::sweep_all() {
  // Catches what no callback reports: connections closed under us, timeouts.
  for (auto& [raw, s] : sessions) s->mark_dirty();
  sweep = loop->schedule(k_sweep_interval, [this] { sweep_all(); });
}

void server_loop_state::end_all(const std::string& reason) {
  stopped = true;
  loop->remove_after_poll(hook);
  loop->cancel(sweep);
  auto all = std::move(sessions);
  sessions.clear();
  polling.clear();
  dirty.clear();
  for (auto& [raw, s] : all) {
    s->end(reason, true);
    --core->live_sessions;
  }
}

// ---- server ----

struct ssh_server::impl {
  ssh_reactor& reactor;
  std::shared_ptr<server_core> core;
  ssh_bind bind = nullptr;
  unique_fd listener;
  reactor_loop::watch_id accept_watch = 0;
  reactor_loop::timer_id accept_resume = 0;
  bool stopped = false;
  std::mutex adopt_mutex;
  transport::accept_stop_handle accept_stop;  // reset first: see ~ssh_server

  explicit impl(ssh_reactor& r) : reactor(r), core(std::make_shared<server_core>()) {}
  ~impl() {
    if (bind) ssh_bind_free(bind);
  }

  void on_acceptable();
  void adopt(server_loop_state& state, std::shared_ptr<pending_session> p, std::uint64_t id,
             server_session::endpoints ends, std::shared_ptr<ssh_server_handler> handler = nullptr);
};

void ssh_server::impl::on_acceptable() {
  reactor_loop& accept_loop = reactor.loop(0);
  for (int i = 0; i < k_accepts_per_round; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listener.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: the listener stays readable, so pause instead of spinning.
        accept_loop.set_events(accept_watch, 0);
        accept_loop.cancel(accept_resume);
        accept_resume = accept_loop.schedule(std::chrono::milliseconds(100), [this, &accept_loop] {
          if (!stopped) accept_loop.set_events(accept_watch, POLLIN);
        });
      }
      return;
    }
    if (core->live_sessions.load() >= core->options.max_connections) {
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    server_session::endpoints ends;
    std::tie(ends.peer_address, ends.peer_port) = address_of(ss);
    sockaddr_storage local{};
    socklen_t local_len = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0)
      std::tie(ends.local_address, ends.local_port) = address_of(local);
    ssh_session s = ssh_new();
    if (!s) {
      ::close(fd);
      continue;
    }
    if (ssh_bind_accept_fd(bind, s, fd) != SSH_OK) {
      ssh_free(s);  // owns fd once accepted; a failure here is a bug or out of memory
      continue;
    }
    ++core->live_sessions;
    auto p = std::make_shared<pending_session>(s);
    reactor_loop& target = reactor.next_loop();
    server_loop_state& state = *core->loops[target.index()];
    const std::uint64_t id = core->next_session_id++;
    if (!target.post([this, &state, p, id, ends = std::move(ends)]() mutable {
          adopt(state, std::move(p), id, std::move(ends));
        }))
      --core->live_sessions;  // the loop is stopping; `p` frees the session
  }
}

void ssh_server::impl::adopt(server_loop_state& state, std::shared_ptr<pending_session> p,
                             std::uint64_t id, server_session::endpoints ends,
                             std::shared_ptr<ssh_server_handler> handler) {
  if (state.stopped) {
    --core->live_sessions;
    return;
  }
  auto s = std::make_shared<server_session>(core, state, p->release(), id, std::move(ends),
                                            std::move(handler));
  if (auto st = s->begin(); !st) {
    s->end(st.message(), false);
    --core->live_sessions;
    return;
  }
  state.sessions.emplace(s.get(), s);
}

result<std::unique_ptr<ssh_server>> ssh_server::start(ssh_reactor& reactor,
                                                      ssh_server_options options,
                                                      std::shared_ptr<ssh_server_handler> handler) {
  if (!handler) return make_error("the SSH server needs a handler");
  if (options.host_key_files.empty() && options.host_keys.empty())
    return make_error("the SSH server needs at least one host key");
  if (options.max_auth_tries == 0) return make_error("max_auth_tries must be at least 1");
  if (reactor.size() == 0) return make_error("the reactor has no threads");

  auto im = std::make_unique<impl>(reactor);
  im->core->options = std::move(options);
  im->core->handler = std::move(handler);
  const auto& o = im->core->options;
  im->bind = ssh_bind_new();
  if (!im->bind) return make_error("cannot create the libssh server object");
  if (auto st = configure_bind(im->bind, o); !st) return st.err();
  std::uint16_t port = 0;
  if (o.listen) {
    auto l = listen_tcp(o.listen_address, o.port, o.listen_backlog);
    if (!l) return l.err();
    im->listener = std::move(*l);
    port = bound_port(im->listener.get());
  }

  for (std::size_t i = 0; i < reactor.size(); ++i) {
    auto state = std::make_unique<server_loop_state>();
    state->loop = &reactor.loop(i);
    state->core = im->core.get();
    server_loop_state* raw = state.get();
    im->core->loops.push_back(std::move(state));
    reactor.loop(i).run_and_wait([raw] {
      raw->hook = raw->loop->add_after_poll([raw] { raw->process_round(); });
      raw->sweep = raw->loop->schedule(k_sweep_interval, [raw] { raw->sweep_all(); });
    });
  }
  impl* ip = im.get();
  status watched = make_error("the reactor is not running");
  if (!o.listen) watched = {};
  if (o.listen)
    reactor.loop(0).run_and_wait([ip, &watched] {
      auto w = ip->reactor.loop(0).watch(ip->listener.get(), POLLIN,
                                         [ip](short) { ip->on_acceptable(); });
      if (!w) {
        watched = w.err();
        return;
      }
      ip->accept_watch = *w;
      watched = {};
    });
  if (!watched) {
    for (std::size_t i = 0; i < reactor.size(); ++i) {
      server_loop_state* raw = im->core->loops[i].get();
      reactor.loop(i).run_and_wait([raw] { raw->end_all("server failed to start"); });
    }
    return watched.err();
  }
  if (o.listen) {
    // A graceful restart's old process: no new connections, the open ones go on.
    im->accept_stop = on_stop_accepting([ip] {
      ip->reactor.loop(0).run_and_wait([ip] {
        ip->reactor.loop(0).cancel(ip->accept_resume);
        ip->reactor.loop(0).unwatch(ip->accept_watch);
        ip->accept_watch = 0;
        ip->listener.reset();
      });
    });
  }
  return std::unique_ptr<ssh_server>(new ssh_server(std::move(im), port));
}

ssh_server::ssh_server(std::unique_ptr<impl> impl, std::uint16_t port)
    : impl_(std::move(impl)), port_(port) {}

ssh_server::~ssh_server() {
  if (impl_) impl_->accept_stop.reset();  // waits for a stop_accepting() under way
  stop();
}

status ssh_server::adopt(unique_fd fd, std::string peer_address, std::uint16_t peer_port,
                         std::shared_ptr<ssh_server_handler> handler) {
  impl* ip = impl_.get();
  if (!ip || ip->stopped) return make_error("the SSH server is stopped");
  if (!fd) return make_error("no connection to serve");
  if (ip->core->live_sessions.load() >= ip->core->options.max_connections)
    return make_error("too many connections");
  ssh_session s = ssh_new();
  if (!s) return make_error("out of memory");
  {
    std::lock_guard<std::mutex> lock(ip->adopt_mutex);  // callers on several threads
    if (ssh_bind_accept_fd(ip->bind, s, fd.release()) != SSH_OK) {
      ssh_free(s);  // the session owns the fd, as on accept
      return make_error("libssh refused the connection");
    }
  }
  ++ip->core->live_sessions;
  auto p = std::make_shared<pending_session>(s);
  server_session::endpoints ends;
  ends.peer_address = std::move(peer_address);
  ends.peer_port = peer_port;
  ends.local_address = "127.0.0.1";
  reactor_loop& target = ip->reactor.next_loop();
  server_loop_state& state = *ip->core->loops[target.index()];
  const std::uint64_t id = ip->core->next_session_id++;
  if (!target.post(
          [ip, &state, p, id, ends = std::move(ends), handler = std::move(handler)]() mutable {
            ip->adopt(state, std::move(p), id, std::move(ends), std::move(handler));
          })) {
    --ip->core->live_sessions;
    return make_error("the SSH server is stopping");
  }
  return {};
}

std::size_t ssh_server::session_count() const {
  return impl_->core->live_sessions.load();
}

void ssh_server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl* ip = impl_.get();
  ip->reactor.loop(0).run_and_wait([ip] {
    ip->stopped = true;
    ip->reactor.loop(0).cancel(ip->accept_resume);
    ip->reactor.loop(0).unwatch(ip->accept_watch);
    ip->listener.reset();
  });
  ip->stopped = true;
  ip->listener.reset();
  for (std::size_t i = 0; i < ip->core->loops.size(); ++i) {
    server_loop_state* raw = ip->core->loops[i].get();
    ip->reactor.loop(i).run_and_wait([raw] {
      if (!raw->stopped) raw->end_all("the server is shutting down");
    });
  }
}

}  // namespace tp::transport
