#include "actors/proxy/recording_forward.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "actors/proxy/proxy_queries.hpp"
#include "config/address.hpp"
#include "transport/child_process.hpp"
#include "transport/ssh_host_probe.hpp"
#include "transport/ssh_reactor_loop.hpp"
#include "transport/ssh_server_agent.hpp"
#include "transport/ssh_server_channel.hpp"
#include "transport/ssh_server_process.hpp"
#include "transport/ssh_server_session.hpp"
#include "transport/ssh_server_socket.hpp"

namespace tp::actors {

using namespace tp::transport;

namespace {

constexpr std::chrono::seconds k_probe_timeout{10};
constexpr const char* k_alias = "tp-node";

std::string addr_text(const std::string& host, std::uint16_t port) {
  return config::address{host, port}.to_string();
}

// A private directory with the known_hosts file of one proxied connection.
class pin_dir {
 public:
  static result<std::unique_ptr<pin_dir>> create(const public_key& key) {
    std::string tmpl = "/tmp/tp-forward-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return make_error("cannot create a temporary directory");
    auto d = std::unique_ptr<pin_dir>(new pin_dir(tmpl));
    const std::string line = std::string(k_alias) + " " + key.authorized_key() + "\n";
    const int fd = ::open(d->file().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return make_error("cannot write " + d->file());
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!ok) return make_error("cannot write " + d->file());
    return d;
  }
  ~pin_dir() {
    ::unlink(file().c_str());
    ::rmdir(dir_.c_str());
  }
  std::string file() const { return dir_ + "/known_hosts"; }

 private:
  explicit pin_dir(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

class forward_channel : public channel_handler {
 public:
  forward_channel(std::shared_ptr<const recording_forward> fwd, forward_target_spec target)
      : fwd_(std::move(fwd)), target_(std::move(target)) {}
  ~forward_channel() override {
    if (slot_) slot_->channel = nullptr;
  }

  void on_open(server_channel& ch) override {
    ch_ = &ch;
    // Called inside the subsystem decision, where nothing can be written yet:
    // failures are reported from the loop.
    slot_ = std::make_shared<slot>(slot{this});
    std::weak_ptr<slot> weak = slot_;
    auto* loop = &ch.loop();
    auto later = [weak, loop](std::string why) {
      loop->post([weak, why = std::move(why)] {
        if (auto s = weak.lock(); s && s->channel) s->channel->fail(why);
      });
    };
    if (!ch.session().agent_forwarding()) {
      later(
          "the proxy records sessions (session_recording: proxy) and needs your agent to "
          "reach the node: forward it to the proxy (ssh -A, or ForwardAgent yes)");
      return;
    }
    host_key_policy policy;
    auto host_cas = fwd_->settings->host_cas();
    policy.host_ca_blobs = host_cas ? *host_cas : fwd_->host_ca_blobs;
    policy.principal = target_.name;
    policy.pinned_key_blob = target_.pinned_key;
    const bool check = fwd_->settings->proxy_checks_host_keys.load();
    auto target = target_;
    const bool queued = fwd_->pool->submit([weak, loop, target, policy, check] {
      result<std::optional<public_key>> r = std::optional<public_key>();
      if (check) {
        auto blob = probe_host_key(target.host, target.port, k_probe_timeout);
        if (!blob) {
          r = make_error("ssh: handshake failed: " + blob.message());
        } else if (auto key = check_presented_host_key(*blob, policy); !key) {
          r = key.err();
        } else {
          r = std::optional<public_key>(std::move(*key));
        }
      }
      loop->post([weak, r = std::move(r)]() mutable {
        if (auto s = weak.lock(); s && s->channel) s->channel->on_checked(std::move(r));
      });
    });
    if (!queued) later("the proxy is busy; try again");
  }

  std::size_t on_data(std::string_view data) override {
    if (inner_) return inner_->on_data(data);
    return failed_ ? data.size() : 0;  // paused until the node is checked
  }
  void on_eof() override {
    if (inner_) inner_->on_eof();
    client_eof_ = true;
  }
  void on_writable() override {
    if (inner_) inner_->on_writable();
  }
  void on_close() override {
    if (inner_) inner_->on_close();
    inner_.reset();
    agent_.reset();
  }

 private:
  struct slot {
    forward_channel* channel = nullptr;
  };

  void fail(const std::string& why) {
    failed_ = true;
    spdlog::warn("proxy: {} ({}): {}", target_.name, addr_text(target_.host, target_.port), why);
    ch_->write_stderr(why + "\r\n");
    ch_->send_exit_status(1);
    ch_->close();
  }

  void on_checked(result<std::optional<public_key>> key) {
    if (!key) return fail(key.message());
    std::unique_ptr<pin_dir> pins;
    forward_ssh_options o;
    o.host = target_.host;
    o.port = target_.port;
    if (*key) {
      auto d = pin_dir::create(**key);
      if (!d) return fail("the proxy cannot pin the node's key: " + d.message());
      pins = std::move(*d);
      o.known_hosts_file = pins->file();
      o.host_key_algorithms = host_key_algorithms_for(**key);
    }
    auto agent = agent_forwarder::start(ch_->session(), nullptr);
    if (!agent) return fail("the proxy cannot reach your agent: " + agent.message());
    auto me = current_os_user();
    if (!me) return fail("the proxy cannot run ssh: " + me.message());

    forward_target ft;
    ft.name = target_.name;
    ft.addr = addr_text(target_.host, target_.port);
    ft.env = login_environment(*me);
    ft.env.push_back("SSH_AUTH_SOCK=" + (*agent)->socket_path());
    ft.program = [o, keep = std::shared_ptr<pin_dir>(std::move(pins))](
                     const std::string& login, const std::optional<std::string>& command,
                     const std::string& subsystem,
                     bool pty) { return forward_ssh_argv(o, login, command, subsystem, pty); };
    node_policy p;
    p.user_ca_blobs = fwd_->user_ca_blobs;
    p.current_user_cas = [s = fwd_->settings] { return s->user_cas(); };
    p.host_id = fwd_->proxy_id;
    p.nodename = target_.name;
    p.forward = std::move(ft);
    p.labels = [labels = std::make_shared<const std::map<std::string, std::string>>(
                    target_.labels)] { return labels; };
    p.disconnect = disconnect_rules_of(fwd_->settings);
    auto handler = std::make_shared<node_handler>(std::move(p), fwd_->sink, fwd_->sessions);

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
      return fail("the proxy is out of file descriptors");
    unique_fd ours(sv[0]);
    const auto& sess = ch_->session();
    if (auto st = fwd_->server->adopt(unique_fd(sv[1]), sess.peer_address(), sess.peer_port(),
                                      std::move(handler));
        !st) {
      return fail("the proxy cannot serve the connection: " + st.message());
    }
    agent_ = std::move(*agent);
    inner_ = std::make_unique<socket_channel>(std::move(ours));
    inner_->on_open(*ch_);
    if (client_eof_) inner_->on_eof();
    ch_->resume_reading();
    spdlog::info("proxy: recording {}'s session to {} ({})", sess.user(), target_.name,
                 addr_text(target_.host, target_.port));
  }

  std::shared_ptr<const recording_forward> fwd_;
  forward_target_spec target_;
  server_channel* ch_ = nullptr;
  std::shared_ptr<slot> slot_;
  std::unique_ptr<agent_forwarder> agent_;
  std::unique_ptr<socket_channel> inner_;
  bool failed_ = false;
  bool client_eof_ = false;
};

}  // namespace

std::string host_key_algorithms_for(const public_key& key) {
  const std::string name(key_type_name(key.type()));
  if (name == "ssh-rsa") return "rsa-sha2-512,rsa-sha2-256";
  return name;
}

std::vector<std::string> forward_ssh_argv(const forward_ssh_options& o, const std::string& login,
                                          const std::optional<std::string>& command,
                                          const std::string& subsystem, bool pty) {
  std::vector<std::string> argv{"ssh", "-F", "/dev/null"};
  auto opt = [&argv](std::string v) {
    argv.emplace_back("-o");
    argv.push_back(std::move(v));
  };
  // Only the client's agent: no keys of the proxy's own user, no prompts.
  opt("BatchMode=yes");
  opt("IdentityFile=none");
  opt("PreferredAuthentications=publickey");
  opt("ControlMaster=no");
  opt("ControlPath=none");
  opt("ProxyCommand=none");
  opt("ForwardAgent=no");
  opt("ForwardX11=no");
  opt("ClearAllForwardings=yes");
  opt("UpdateHostKeys=no");
  opt("CheckHostIP=no");
  opt("GlobalKnownHostsFile=/dev/null");
  // The client's own ssh handles escapes; these bytes are its keystrokes.
  opt("EscapeChar=none");
  opt("LogLevel=ERROR");
  opt("ConnectTimeout=15");
  opt("SendEnv=LANG");
  opt("SendEnv=LC_*");
  if (o.known_hosts_file.empty()) {
    opt("StrictHostKeyChecking=no");
    opt("UserKnownHostsFile=/dev/null");
  } else {
    opt("StrictHostKeyChecking=yes");
    opt("UserKnownHostsFile=" + o.known_hosts_file);
    opt(std::string("HostKeyAlias=") + k_alias);
    opt("HostKeyAlgorithms=" + o.host_key_algorithms);
  }
  argv.insert(argv.end(), {"-p", std::to_string(o.port), "-l", login});
  argv.emplace_back(pty ? "-tt" : "-T");
  if (!subsystem.empty()) argv.emplace_back("-s");
  argv.emplace_back("--");
  argv.push_back(o.host);
  if (!subsystem.empty()) {
    argv.push_back(subsystem);
  } else if (command) {
    argv.push_back(*command);
  }
  return argv;
}

std::unique_ptr<channel_handler> make_forward_channel(std::shared_ptr<const recording_forward> fwd,
                                                      forward_target_spec target) {
  return std::make_unique<forward_channel>(std::move(fwd), std::move(target));
}

}  // namespace tp::actors
