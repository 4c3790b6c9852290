// Test support for the SSH server: a test CA and user certificates written as OpenSSH
// files, the reference handler (certificate check with verify_certificate, commands run
// as the current user through process_channel, direct-tcpip through socket_channel,
// sftp through /usr/lib/openssh/sftp-server), and the OpenSSH client command lines.
#pragma once

#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "openssh_tools.hpp"
#include "ssh_server_test_process.hpp"
#include "transport/child_process.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/ssh_server.hpp"
#include "transport/ssh_server_process.hpp"
#include "transport/ssh_server_session.hpp"
#include "transport/ssh_server_socket.hpp"

namespace tp::transport::test {

inline std::string current_login() {
  auto u = current_os_user();
  return u ? u->name : "root";
}

inline key_pair make_key(key_type t = key_type::ed25519) {
  auto k = key_pair::generate(t, 2048);
  if (!k) throw std::runtime_error(k.message());
  return *k;
}

// A user key and its certificate as "<name>" / "<name>-cert.pub" files.
struct user_identity {
  std::string key_file;
  std::string cert_file;  // empty: no certificate
};

struct cert_spec {
  std::vector<std::string> principals;
  std::int64_t valid_from_offset = -60;  // seconds relative to now
  std::int64_t valid_to_offset = 3600;
  std::string key_id = "test-user";
  cert_options critical_options;
};

inline user_identity write_identity(const temp_dir& dir, const std::string& name,
                                    const key_pair& user, const key_pair* ca,
                                    const cert_spec& spec) {
  user_identity id;
  id.key_file = dir.file(name);
  if (auto st = write_openssh_private_key_file(id.key_file, user, name); !st)
    throw std::runtime_error(st.message());
  write_text(id.key_file + ".pub", user.pub().authorized_key(name) + "\n");
  if (!ca) return id;
  cert_template t;
  t.key = user.pub();
  t.kind = cert_type::user;
  t.key_id = spec.key_id;
  t.principals = spec.principals;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  t.valid_after = static_cast<std::uint64_t>(now + spec.valid_from_offset);
  t.valid_before = static_cast<std::uint64_t>(now + spec.valid_to_offset);
  t.critical_options = spec.critical_options;
  auto blob = sign_certificate(t, *ca);
  if (!blob) throw std::runtime_error(blob.message());
  auto line = certificate_line(*blob, name);
  if (!line) throw std::runtime_error(line.message());
  id.cert_file = id.key_file + "-cert.pub";
  write_text(id.cert_file, *line + "\n");
  return id;
}

// TP_SSH_DEBUG=1 in the environment makes the OpenSSH client verbose (shown by INFO).
inline std::string log_level() {
  return std::getenv("TP_SSH_DEBUG") ? "LogLevel=DEBUG1" : "LogLevel=ERROR";
}

// The reference handler: the upper layer in miniature.
class test_handler : public ssh_server_handler {
 public:
  explicit test_handler(public_key ca) : ca_(std::move(ca)) {}

  status authorize(const auth_attempt& a) override {
    auto cert = parse_certificate(a.certificate_blob);
    if (!cert) return cert.err();
    verify_options o;
    o.trusted_ca_blobs = {ca_.blob()};
    o.expected_kind = cert_type::user;
    o.principal = a.user;
    o.client_address = a.peer_address;
    return verify_certificate(*cert, o);
  }

  class session : public session_handler {
   public:
    explicit session(test_handler& h) : h_(h) {}
    std::unique_ptr<channel_handler> open_channel(const channel_open_request& req) override {
      if (req.kind == channel_kind::direct_tcpip)
        return socket_channel::connect_to(req.host, req.port);
      if (req.kind != channel_kind::session) return nullptr;
      process_channel_options o;
      auto user = current_os_user();
      if (user) o.env = login_environment(*user);
      // A HOME without the login's shell rc files: bash sources ~/.bashrc for SSH
      // commands, and this machine's rc files are not ours to depend on.
      if (!h_.home.empty())
        for (auto& e : o.env)
          if (e.rfind("HOME=", 0) == 0) e = "HOME=" + h_.home;
      o.login = h_.login;
      o.subsystems = {{"sftp", "/usr/lib/openssh/sftp-server"}};
      o.allow_agent_forwarding = true;
      o.accept_env = [](std::string_view name, std::string_view) {
        return name == "LANG" || name == "TP_TEST";
      };
      return std::make_unique<process_channel>(std::move(o));
    }
    void on_close(const std::string& reason) override {
      std::lock_guard lock(h_.mutex);
      h_.close_reasons.push_back(reason);
    }

   private:
    test_handler& h_;
  };

  std::unique_ptr<session_handler> on_authenticated(server_session& s,
                                                    const auth_attempt& a) override {
    std::lock_guard lock(mutex);
    logins.push_back(a.user + "@" + s.peer_address());
    return std::make_unique<session>(*this);
  }

  void on_auth_failure(const auth_failure& f) override {
    std::lock_guard lock(mutex);
    failures.push_back(f);
  }

  std::vector<auth_failure> failures_copy() {
    std::lock_guard lock(mutex);
    return failures;
  }
  std::vector<std::string> close_reasons_copy() {
    std::lock_guard lock(mutex);
    return close_reasons;
  }

  std::mutex mutex;
  std::vector<auth_failure> failures;
  std::vector<std::string> logins;
  std::vector<std::string> close_reasons;
  std::optional<std::string> login;  // OS user commands run as; unset: ours
  std::string home;                  // HOME for commands; empty: the login's

 private:
  public_key ca_;
};

// A running server with a fresh CA and a valid identity for the current login.
struct test_server {
  temp_dir dir;
  key_pair ca = make_key();
  key_pair user_key = make_key();
  user_identity user;
  std::shared_ptr<test_handler> handler = std::make_shared<test_handler>(ca.pub());
  std::unique_ptr<ssh_reactor> reactor;
  std::unique_ptr<ssh_server> server;
  std::string login = current_login();

  // `custom`: serve with this handler instead of the reference one (whose CA, `ca`, the
  // custom handler should trust).
  explicit test_server(ssh_server_options o = {},
                       std::shared_ptr<ssh_server_handler> custom = nullptr) {
    cert_spec spec;
    spec.principals = {login};
    user = write_identity(dir, "id_user", user_key, &ca, spec);
    handler->home = dir.path().string();
    auto r = ssh_reactor::start({});
    if (!r) throw std::runtime_error(r.message());
    reactor = std::move(*r);
    if (o.host_keys.empty() && o.host_key_files.empty()) o.host_keys.push_back(make_key());
    auto s = ssh_server::start(*reactor, std::move(o),
                               custom ? custom : std::shared_ptr<ssh_server_handler>(handler));
    if (!s) throw std::runtime_error(s.message());
    server = std::move(*s);
  }
  ~test_server() {
    server.reset();
    reactor.reset();
  }

  std::vector<std::string> ssh_args(const user_identity& id, std::vector<std::string> extra,
                                    const std::string& command) const {
    std::vector<std::string> a = {"ssh",
                                  "-F",
                                  "/dev/null",
                                  "-p",
                                  std::to_string(server->port()),
                                  "-i",
                                  id.key_file,
                                  "-o",
                                  "IdentitiesOnly=yes",
                                  "-o",
                                  "IdentityAgent=none",
                                  "-o",
                                  "StrictHostKeyChecking=no",
                                  "-o",
                                  "UserKnownHostsFile=/dev/null",
                                  "-o",
                                  "BatchMode=yes",
                                  "-o",
                                  log_level(),
                                  "-o",
                                  "ConnectTimeout=10"};
    if (!id.cert_file.empty()) {
      a.push_back("-o");
      a.push_back("CertificateFile=" + id.cert_file);
    }
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(login + "@127.0.0.1");
    if (!command.empty()) a.push_back(command);
    return a;
  }

  proc_result ssh(const std::string& command, proc_options o = {},
                  std::vector<std::string> extra = {}) const {
    return run_process(ssh_args(user, std::move(extra), command), o);
  }
};

}  // namespace tp::transport::test
