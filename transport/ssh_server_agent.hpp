// Agent forwarding for a session's processes: a unix socket (SSH_AUTH_SOCK) in a
// private directory; each connection to it becomes an "auth-agent@openssh.com" channel
// to the client, whose agent answers.
#pragma once

#include <memory>
#include <string>

#include "transport/child_process.hpp"
#include "transport/ssh_reactor_loop.hpp"

namespace tp::transport {

class server_session;

class agent_forwarder {
 public:
  // `owner`: the OS user the socket and its directory are handed to (the login the
  // processes run as); null: the server's own user. The session must have agent
  // forwarding allowed (server_session::agent_forwarding()).
  static result<std::unique_ptr<agent_forwarder>> start(server_session& session,
                                                        const os_user* owner);
  ~agent_forwarder();  // stops listening, removes the socket and its directory
  agent_forwarder(const agent_forwarder&) = delete;
  agent_forwarder& operator=(const agent_forwarder&) = delete;

  const std::string& socket_path() const { return path_; }

 private:
  explicit agent_forwarder(server_session& s) : session_(s) {}
  void on_acceptable();

  server_session& session_;
  std::string dir_;
  std::string path_;
  unique_fd listener_;
  reactor_loop::watch_id watch_ = 0;
};

}  // namespace tp::transport
