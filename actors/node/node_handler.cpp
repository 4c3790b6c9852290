#include "actors/node/node_handler.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include <spdlog/spdlog.h>

#include "actors/host/heartbeat.hpp"
#include "actors/host/user_auth.hpp"
#include "actors/identity/secrets.hpp"
#include "actors/node/pam_session.hpp"
#include "actors/node/scp_stream.hpp"
#include "actors/node/session.hpp"
#include "actors/node/shared_session.hpp"
#include "config/duration.hpp"
#include "transport/child_process.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_reactor_loop.hpp"
#include "transport/ssh_server_process.hpp"
#include "transport/ssh_server_session.hpp"
#include "transport/ssh_server_socket.hpp"

namespace tp::actors {
namespace {

using nlohmann::json;
using namespace tp::transport;

std::string addr(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

// Reads ~/.tsh/environment as its owner would see it: no symlinks, owned by
// the login, a regular file of sane size. Read by root, so be strict.
std::vector<std::string> user_environment(const os_user& user) {
  const std::string path = user.home + "/.tsh/environment";
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {};
  struct stat st {};
  std::vector<std::string> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == user.uid &&
      st.st_size < 64 * 1024) {
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    const ssize_t n = ::read(fd, text.data(), text.size());
    if (n > 0)
      out = parse_environment_file(std::string_view(text.data(), static_cast<std::size_t>(n)));
  }
  ::close(fd);
  return out;
}

// What one login may do, from its certificate.
struct permissions {
  std::string cluster_user;  // key id
  bool pty = false;
  bool agent = false;
  bool port_forwarding = false;
  std::optional<std::string> force_command;
};

permissions permissions_of(const ssh_certificate& c) {
  permissions p;
  p.cluster_user = c.key_id;
  p.pty = c.extensions.count("permit-pty") > 0;
  p.agent = c.extensions.count("permit-agent-forwarding") > 0;
  p.port_forwarding = c.extensions.count("permit-port-forwarding") > 0;
  if (auto it = c.critical_options.find("force-command"); it != c.critical_options.end()) {
    p.force_command = it->second;
  }
  return p;
}

// The fields every event of one connection carries.
struct session_context {
  std::string login;
  permissions perms;
  std::string remote;
  std::string local;
  std::string server_id;
  std::string nodename;
  std::string server_addr;  // recording proxy: the node behind it

  json event(const std::string& type) const {
    json e{{"event", type},
           {"user", perms.cluster_user},
           {"login", login},
           {"addr.remote", remote},
           {"addr.local", local},
           {"server_id", server_id},
           {"server_hostname", nodename},
           {"namespace", "default"}};
    if (!server_addr.empty()) e["server_addr"] = server_addr;
    return e;
  }
};

// A session channel that runs processes and tells the audit log about them.
class audited_channel : public process_channel {
 public:
  audited_channel(process_channel_options o, std::shared_ptr<const session_context> ctx,
                  std::shared_ptr<session_events> session, std::shared_ptr<std::string> size,
                  std::shared_ptr<bool> interactive, std::shared_ptr<node_handler> node,
                  std::shared_ptr<shared_session> shared)
      : process_channel(std::move(o)),
        ctx_(std::move(ctx)),
        session_(std::move(session)),
        size_(std::move(size)),
        interactive_(std::move(interactive)),
        node_(std::move(node)),
        shared_(std::move(shared)) {}
  ~audited_channel() override { end_sharing(); }

  // The terminal is gone: joined parties are told and the session can no
  // longer be joined. Owner loop.
  void end_sharing() {
    if (!shared_) return;
    node_->shared_sessions().remove(shared_->sid());
    shared_->end();
    shared_.reset();
  }
  void on_close() override {
    end_sharing();
    process_channel::on_close();
  }

  bool on_pty_request(const pty_request& r) override {
    if (!process_channel::on_pty_request(r)) return false;
    *size_ = std::to_string(r.size.cols) + ":" + std::to_string(r.size.rows);
    *interactive_ = true;
    return true;
  }
  bool on_window_change(const pty_size& s) override {
    *size_ = std::to_string(s.cols) + ":" + std::to_string(s.rows);
    auto e = ctx_->event("resize");
    e["size"] = *size_;
    session_->post(std::move(e));
    return process_channel::on_window_change(s);
  }

 private:
  std::shared_ptr<const session_context> ctx_;
  std::shared_ptr<session_events> session_;  // the session actor lives while this does
  std::shared_ptr<std::string> size_;
  std::shared_ptr<bool> interactive_;  // a terminal was granted: output is recorded
  std::shared_ptr<node_handler> node_;
  std::shared_ptr<shared_session> shared_;
};

// A session channel that either runs a process (audited_channel) or, when the
// client set TELEPORT_SESSION=<sid> before asking for a shell (`tsh join`),
// joins that session in progress as another party.
class session_channel : public channel_handler {
 public:
  session_channel(std::unique_ptr<audited_channel> proc, std::shared_ptr<node_handler> node,
                  std::shared_ptr<const session_context> ctx)
      : proc_(std::move(proc)), node_(std::move(node)), ctx_(std::move(ctx)) {}

  void on_open(server_channel& ch) override {
    ch_ = &ch;
    proc_->on_open(ch);
  }
  bool on_pty_request(const pty_request& r) override { return proc_->on_pty_request(r); }
  bool on_env(std::string_view name, std::string_view value) override {
    if (name == "TELEPORT_SESSION") {
      join_target_ = std::string(value);
      return true;
    }
    return proc_->on_env(name, value);
  }
  bool on_shell() override { return join_target_.empty() ? proc_->on_shell() : join(); }
  bool on_exec(std::string_view command) override {
    return join_target_.empty() && proc_->on_exec(command);
  }
  bool on_subsystem(std::string_view name) override {
    return join_target_.empty() && proc_->on_subsystem(name);
  }
  bool on_window_change(const pty_size& s) override {
    return join_ ? true : proc_->on_window_change(s);
  }
  bool on_agent_forwarding_request() override { return proc_->on_agent_forwarding_request(); }
  std::size_t on_data(std::string_view data) override {
    return join_ ? join_->on_data(data) : proc_->on_data(data);
  }
  void on_eof() override {
    if (!join_) proc_->on_eof();
  }
  void on_writable() override {
    if (join_) {
      join_->on_writable();
    } else {
      proc_->on_writable();
    }
  }
  void on_signal(std::string_view name) override {
    if (!join_) proc_->on_signal(name);
  }
  void on_close() override {
    if (join_) join_->on_close();
    proc_->on_close();
  }

 private:
  bool join() {
    auto target = node_->shared_sessions().find(join_target_);
    if (!target) {
      spdlog::info("ssh: {} cannot join session {}: no such session here", ctx_->perms.cluster_user,
                   join_target_);
      return false;
    }
    auto node = node_;
    auto leave = ctx_->event("session.leave");
    leave["sid"] = join_target_;
    join_ = std::make_shared<join_channel>(
        target, [node, leave]() mutable { node->emit(std::move(leave)); });
    join_->on_open(*ch_);
    if (!join_->attach()) {
      join_.reset();
      return false;
    }
    auto e = ctx_->event("session.join");
    e["sid"] = join_target_;
    node_->emit(std::move(e));
    spdlog::info("ssh: {} ({}) joined session {}", ctx_->perms.cluster_user, ctx_->login,
                 join_target_);
    return true;
  }

  std::unique_ptr<audited_channel> proc_;
  std::shared_ptr<node_handler> node_;
  std::shared_ptr<const session_context> ctx_;
  server_channel* ch_ = nullptr;
  std::string join_target_;
  std::shared_ptr<join_channel> join_;
};

class node_session : public session_handler {
 public:
  node_session(std::shared_ptr<node_handler> node, std::shared_ptr<const session_context> ctx,
               std::unique_ptr<pam_session> pam, reactor_loop& loop)
      : node_(std::move(node)), ctx_(std::move(ctx)), pam_(std::move(pam)), loop_(loop) {}
  ~node_session() override {
    if (idle_timer_) loop_.cancel(idle_timer_);
    if (expiry_timer_) loop_.cancel(expiry_timer_);
    node_->release_user(ctx_->perms.cluster_user);
  }

  // Ends the connection when the rules say so, with a client.disconnect event.
  void watch(server_session& s, const disconnect_rules& rules, std::uint64_t valid_before) {
    conn_ = s.weak_from_this();
    idle_ = rules.idle;
    if (idle_.count() > 0) idle_timer_ = loop_.schedule(idle_, [this] { check_idle(); });
    if (rules.expired_cert && valid_before != k_cert_forever) {
      const auto now = static_cast<std::uint64_t>(std::time(nullptr));
      const auto left = std::chrono::seconds(valid_before > now ? valid_before - now : 0);
      expiry_timer_ = loop_.schedule(left, [this, valid_before] {
        expiry_timer_ = 0;
        disconnect("client certificate expired at " + format_cert_time(valid_before));
      });
    }
  }

  std::unique_ptr<channel_handler> open_channel(const channel_open_request& req) override {
    const auto& forward = node_->policy().forward;
    if (req.kind == channel_kind::direct_tcpip) {
      if (!ctx_->perms.port_forwarding) return nullptr;
      if (forward) {
        // The proxy would connect from its own network, not the node's.
        spdlog::info("proxy: refused port forwarding to {}:{} through the recording proxy",
                     req.host, req.port);
        return nullptr;
      }
      auto e = ctx_->event("port");
      e["addr"] = addr(req.host, req.port);
      node_->emit(std::move(e));
      return socket_channel::connect_to(req.host, req.port);
    }
    if (req.kind != channel_kind::session) return nullptr;
    process_channel_options o;
    if (forward) {
      // The program is ssh to the node, run as the proxy's own user.
      o.env = forward->env;
      o.program = [program = forward->program, login = ctx_->login](
                      const std::optional<std::string>& command, const std::string& subsystem,
                      bool pty) { return program(login, command, subsystem, pty); };
      o.subsystems.clear();
    } else {
      auto user = lookup_os_user(ctx_->login);
      if (!user) return nullptr;
      o.login = ctx_->login;
      o.env = login_environment(*user);
      o.subsystems = node_->policy().subsystems;
      if (node_->policy().permit_user_env) {
        for (auto& e : user_environment(*user)) o.env.push_back(std::move(e));
      }
    }
    if (pam_) {
      for (auto& e : pam_->environment()) o.env.push_back(std::move(e));
    }
    const std::string sid = random_uuid();
    o.env.push_back("TELEPORT_SESSION=" + sid);
    o.env.push_back("SSH_TELEPORT_USER=" + ctx_->perms.cluster_user);
    o.env.push_back("SSH_TELEPORT_HOST_UUID=" + ctx_->server_id);
    // Debian sshd's AcceptEnv (LANG, LC_*), plus SHLVL, which only tells bash
    // whether to read ~/.bashrc for a command.
    o.accept_env = [](std::string_view name, std::string_view) {
      return name == "LANG" || name.rfind("LC_", 0) == 0 || name == "SHLVL";
    };
    o.force_command = ctx_->perms.force_command;
    o.allow_pty = ctx_->perms.pty;
    o.allow_agent_forwarding = ctx_->perms.agent;

    auto ctx = ctx_;
    auto session = node_->open_session(sid);
    auto command = std::make_shared<std::string>();
    auto size = std::make_shared<std::string>();
    auto interactive = std::make_shared<bool>(false);
    // Legacy scp: the sending side's stream, counted for the event's `len`.
    struct scp_count {
      bool input = false;   // scp -t: the client sends
      bool output = false;  // scp -f: the node sends
      scp_stream stream;
    };
    auto scp = std::make_shared<scp_count>();
    o.input_tap = [scp](std::string_view data) {
      if (scp->input) scp->stream.feed(data);
    };
    // Keystrokes of joined parties go to the terminal through the channel; the
    // channel ends the sharing before it goes (see audited_channel).
    auto channel_ptr = std::make_shared<audited_channel*>(nullptr);
    auto shared = std::make_shared<shared_session>(sid, loop_, [channel_ptr](std::string_view d) {
      if (*channel_ptr != nullptr) (*channel_ptr)->inject_input(d);
    });
    // Runs on this connection's reactor thread, as the pty request does.
    o.tap = [session, shared, interactive, scp](std::string_view data, bool is_stderr) {
      if (scp->output && !is_stderr) scp->stream.feed(data);
      if (!*interactive) return;
      session->output(data);
      shared->broadcast(data);
    };
    // A command (not a login shell, whose "command" is the shell program).
    auto is_command = [](const std::string& c) { return !c.empty() && c.front() != '/'; };
    auto node = node_;
    o.on_start = [ctx, session, command, size, is_command, interactive, node, shared, scp](
                     pid_t, const std::string& cmd) {
      *command = cmd;
      if (cmd.rfind("scp ", 0) == 0) {
        if (auto r = parse_scp_command(cmd)) {
          scp->input = r->action == "write";
          scp->output = r->action == "read";
        }
      }
      if (*interactive) node->shared_sessions().add(shared);
      auto e = ctx->event("session.start");
      if (is_command(cmd)) e["command"] = cmd;
      if (!size->empty()) e["size"] = *size;
      session->post(std::move(e));
    };
    o.on_error = [ctx, session](const std::string& err) {
      auto e = ctx->event("exec");
      e["error"] = err;
      e["exitCode"] = "255";
      session->post(std::move(e));
    };
    o.on_exit = [ctx, session, command, is_command, scp](const exit_info& x) {
      const std::string code = std::to_string(x.signaled ? 128 + x.signal : x.code);
      if (is_command(*command)) {
        const bool is_scp = command->rfind("scp ", 0) == 0;
        auto e = ctx->event(is_scp ? "scp" : "exec");
        e["command"] = *command;
        if (auto r = is_scp ? parse_scp_command(*command) : std::nullopt) {
          e["action"] = r->action;
          e["path"] = r->path;
          if (!scp->stream.lost()) e["len"] = scp->stream.bytes();
        }
        e["exitCode"] = code;
        if (x.signaled) e["signal"] = signal_name(x.signal);
        session->post(std::move(e));
      }
      auto end = ctx->event("session.end");
      end["exitCode"] = code;
      session->post(std::move(end));
    };
    auto proc = std::make_unique<audited_channel>(std::move(o), ctx_, std::move(session), size,
                                                  interactive, node_, shared);
    *channel_ptr = proc.get();
    return std::make_unique<session_channel>(std::move(proc), node_, ctx_);
  }

  void on_close(const std::string& reason) override {
    spdlog::debug("ssh session of {} ({}) closed: {}", ctx_->perms.cluster_user, ctx_->login,
                  reason);
  }

 private:
  void check_idle() {
    idle_timer_ = 0;
    auto s = conn_.lock();
    if (!s) return;
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - s->last_activity());
    if (since >= idle_) {
      disconnect("client is idle for " + config::format_duration(idle_));
      return;
    }
    idle_timer_ = loop_.schedule(idle_ - since, [this] { check_idle(); });
  }

  void disconnect(const std::string& reason) {
    auto s = conn_.lock();
    if (!s || disconnected_) return;
    disconnected_ = true;
    spdlog::info("ssh: disconnecting {} ({}): {}", ctx_->perms.cluster_user, ctx_->login, reason);
    auto e = ctx_->event("client.disconnect");
    e["reason"] = reason;
    node_->emit(std::move(e));
    s->disconnect(reason);
  }

  std::weak_ptr<server_session> conn_;
  std::chrono::milliseconds idle_{0};
  reactor_loop::timer_id idle_timer_ = 0;
  reactor_loop::timer_id expiry_timer_ = 0;
  bool disconnected_ = false;

  std::shared_ptr<node_handler> node_;
  std::shared_ptr<const session_context> ctx_;
  std::unique_ptr<pam_session> pam_;  // closed when the connection ends
  reactor_loop& loop_;                // this connection's, where its channels run
};

}  // namespace

std::optional<scp_request> parse_scp_command(std::string_view command) {
  // "scp [-r] [-p] [-d] [-v] -t|-f [--] <path>": the path is the rest of the line
  // after the flags (scp quotes nothing on the remote side).
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (pos < command.size() && words.size() < 16) {
    while (pos < command.size() && command[pos] == ' ') ++pos;
    if (pos >= command.size()) break;
    if (!words.empty() && command[pos] != '-') {
      words.emplace_back(command.substr(pos));
      break;
    }
    const auto end = std::min(command.find(' ', pos), command.size());
    words.emplace_back(command.substr(pos, end - pos));
    pos = end;
  }
  if (words.size() < 3 || words.front() != "scp") return std::nullopt;
  scp_request r;
  for (std::size_t i = 1; i + 1 < words.size(); ++i) {
    const auto& w = words[i];
    if (w.size() < 2 || w[0] != '-') return std::nullopt;
    if (w.find('t') != std::string::npos) r.action = "write";
    if (w.find('f') != std::string::npos) r.action = "read";
  }
  if (r.action.empty()) return std::nullopt;
  r.path = words.back();
  return r;
}

std::vector<std::string> parse_environment_file(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size() && out.size() < 1000) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    if (eq == 0 || eq == std::string::npos) continue;
    bool name_ok = true;
    for (std::size_t i = 0; i < eq; ++i) {
      const char c = line[i];
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) name_ok = false;
    }
    if (name_ok && line.find('\0') == std::string::npos) out.push_back(std::move(line));
  }
  return out;
}

namespace {

// Without session actors (tests): session events go straight to the sink.
class direct_session : public session_events {
 public:
  direct_session(std::shared_ptr<const node_handler> node, std::string sid)
      : node_(std::move(node)), sid_(std::move(sid)) {}
  void post(json event) override {
    event["sid"] = sid_;
    node_->emit(std::move(event));
  }
  void output(std::string_view) override {}
  bool recording() const override { return false; }

 private:
  std::shared_ptr<const node_handler> node_;
  std::string sid_;
};

}  // namespace

std::function<disconnect_rules()> disconnect_rules_of(
    std::shared_ptr<const cluster_settings> settings) {
  return [settings = std::move(settings)] {
    return disconnect_rules{std::chrono::milliseconds(settings->client_idle_timeout_ms.load()),
                            settings->disconnect_expired_cert.load()};
  };
}

node_handler::node_handler(node_policy policy, audit_sink sink, session_factory sessions)
    : policy_(std::move(policy)), sink_(std::move(sink)), sessions_(std::move(sessions)) {}

std::shared_ptr<session_events> node_handler::open_session(const std::string& sid) const {
  if (sessions_) return sessions_(sid);
  return std::make_shared<direct_session>(shared_from_this(), sid);
}

void node_handler::emit(json event) const {
  if (sink_) sink_(std::move(event));
}

tp::status node_handler::authorize(const auth_attempt& a) {
  auto current = policy_.current_user_cas ? policy_.current_user_cas() : nullptr;
  if (auto st = check_user_certificate(current ? *current : policy_.user_ca_blobs, a); !st)
    return st;
  auto labels = policy_.labels ? policy_.labels() : nullptr;
  if (auto st = check_role_access(a, labels ? *labels : std::map<std::string, std::string>{}); !st)
    return st;
  if (policy_.forward) return {};  // the login is the node's to check
  if (auto u = lookup_os_user(a.user); !u) return u.err();
  return {};
}

std::unique_ptr<session_handler> node_handler::on_authenticated(server_session& s,
                                                                const auth_attempt& a) {
  auto cert = parse_certificate(a.certificate_blob);
  if (!cert) return nullptr;
  auto ctx = std::make_shared<session_context>();
  ctx->login = a.user;
  ctx->perms = permissions_of(*cert);
  ctx->remote = addr(s.peer_address(), s.peer_port());
  ctx->local = addr(s.local_address(), s.local_port());
  ctx->server_id = policy_.host_id;
  ctx->nodename = policy_.nodename;
  if (policy_.forward) {
    ctx->nodename = policy_.forward->name;
    ctx->server_addr = policy_.forward->addr;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& n = users_[ctx->perms.cluster_user];
    if (n == 0 && users_.size() > policy_.max_users) {
      users_.erase(ctx->perms.cluster_user);
      spdlog::warn("refusing {}: max_users ({}) reached", ctx->perms.cluster_user,
                   policy_.max_users);
      return nullptr;
    }
    ++n;
  }
  std::unique_ptr<pam_session> pam;
  if (!policy_.pam_service.empty()) {
    auto opened = pam_session::open(policy_.pam_service, a.user, s.peer_address());
    if (!opened) {
      release_user(ctx->perms.cluster_user);
      spdlog::warn("ssh: refused {} from {}: {}", a.user, s.peer_address(), opened.message());
      auto e = ctx->event("auth");
      e["success"] = false;
      e["error"] = opened.message();
      emit(std::move(e));
      return nullptr;
    }
    pam = std::move(*opened);
  }
  auto e = ctx->event("auth");
  e["success"] = true;
  emit(std::move(e));
  auto session = std::make_unique<node_session>(shared_from_this(), ctx, std::move(pam), s.loop());
  if (policy_.disconnect) session->watch(s, policy_.disconnect(), cert->valid_before);
  return session;
}

void node_handler::release_user(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = users_.find(user);
  if (it != users_.end() && --it->second == 0) users_.erase(it);
}

void node_handler::on_auth_failure(const auth_failure& f) {
  // Probes count too: the server refuses a certificate before the client signs.
  // Clients offer their plain key before its certificate: that refusal is routine.
  if (f.probe && f.certificate_blob.empty()) {
    spdlog::info("ssh: refused {} from {}: {}", f.user, f.peer_address, f.reason);
  } else {
    spdlog::warn("ssh: refused {} from {}: {}", f.user, f.peer_address, f.reason);
  }
  json e{{"event", "auth"},
         {"success", false},
         {"login", f.user},
         {"error", f.reason},
         {"method", f.method},
         {"addr.remote", addr(f.peer_address, f.peer_port)},
         {"server_id", policy_.host_id}};
  if (!f.certificate_blob.empty()) {
    if (auto c = parse_certificate(f.certificate_blob)) e["user"] = c->key_id;
  }
  emit(std::move(e));
}

}  // namespace tp::actors
