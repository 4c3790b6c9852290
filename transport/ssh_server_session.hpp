// One accepted SSH connection: key exchange, certificate authentication through the
// ssh_server_handler, and its channels. Lives on one reactor loop; owned by ssh_server
// (hold a weak_ptr to reach it from elsewhere: post to loop(), then lock()).
#pragma once

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "messages/result.hpp"
#include "transport/ssh_reactor_loop.hpp"
#include "transport/ssh_server_channel.hpp"
#include "transport/ssh_server_handler.hpp"

namespace tp::transport {

struct server_core;
struct server_loop_state;

class server_session : public std::enable_shared_from_this<server_session> {
 public:
  // The TCP endpoints of a connection: IP addresses without ports.
  struct endpoints {
    std::string peer_address;
    std::uint16_t peer_port = 0;
    std::string local_address;
    std::uint16_t local_port = 0;
  };

  // `handler`: this connection's, instead of the server's (adopted connections).
  server_session(std::shared_ptr<server_core> core, server_loop_state& state, ssh_session s,
                 std::uint64_t id, endpoints ends,
                 std::shared_ptr<ssh_server_handler> handler = nullptr);
  ~server_session();
  server_session(const server_session&) = delete;
  server_session& operator=(const server_session&) = delete;

  std::uint64_t id() const { return id_; }  // unique per server
  const std::string& peer_address() const { return ends_.peer_address; }
  std::uint16_t peer_port() const { return ends_.peer_port; }
  const std::string& local_address() const { return ends_.local_address; }
  std::uint16_t local_port() const { return ends_.local_port; }
  reactor_loop& loop() const;

  // ---- loop thread only ----
  bool authenticated() const { return authenticated_; }
  // When the client last sent anything on a channel.
  std::chrono::steady_clock::time_point last_activity() const { return last_activity_; }
  const std::string& user() const { return user_; }  // the login, once authenticated
  const std::string& certificate_blob() const { return certificate_blob_; }
  std::string client_version() const;  // "SSH-2.0-OpenSSH_9.2p1 ..."

  // Ends the connection after the current poll round (SSH_MSG_DISCONNECT with
  // `reason`). session_handler::on_close follows.
  void disconnect(std::string reason);
  // True once a channel handler accepted "auth-agent-req@openssh.com".
  bool agent_forwarding() const { return agent_forwarding_; }
  // Opens an "auth-agent@openssh.com" channel to the client. `h->on_open` runs when the
  // client confirms it; if it refuses, only `h->on_close` runs.
  status open_agent_channel(std::unique_ptr<channel_handler> h);
  // Opens a "forwarded-tcpip" channel to the client naming host:port as the
  // destination (a reverse tunnel's dial); on_open / on_close as for agent channels.
  status open_forward_channel(std::string host, std::uint16_t port,
                              std::unique_ptr<channel_handler> h);
  std::size_t channel_count() const { return channels_.size(); }

  // ---- for ssh_server and server_channel ----
  status begin();  // callbacks, non-blocking key exchange, joins the loop, auth timer
  void process();  // after the poll
  // Ends everything at once (server stop). Idempotent.
  void end(const std::string& reason, bool send_disconnect);
  bool finished() const { return finished_; }
  bool needs_polling() const;
  void mark_dirty();
  void note_activity() { last_activity_ = std::chrono::steady_clock::now(); }
  std::uint32_t next_channel_id() { return next_channel_id_++; }
  // Audit + counting of a refused authentication attempt.
  void auth_failed(auth_failure f);
  void allow_agent_forwarding() { agent_forwarding_ = true; }

 private:
  struct guard;
  static int on_auth_pubkey(ssh_session, const char* user, ssh_key_struct* key, char state,
                            void* ud);
  static ssh_channel on_open_session(ssh_session, void* ud);
  static int on_message(ssh_session, ssh_message msg, void* ud);

  int auth_pubkey(const char* user, ssh_key key, char state);
  int handle_message(ssh_message msg);
  ssh_channel open_channel(const channel_open_request& req, ssh_message msg);
  void destroy_channel(ssh_channel c);
  void check_timeouts();

  std::shared_ptr<server_core> core_;
  server_loop_state& state_;
  ssh_session session_;
  const std::uint64_t id_;
  const endpoints ends_;
  const std::shared_ptr<ssh_server_handler> server_handler_;
  ssh_server_callbacks_struct server_callbacks_{};

  std::unique_ptr<session_handler> handler_;
  std::map<ssh_channel, std::unique_ptr<server_channel>> channels_;
  std::uint32_t next_channel_id_ = 0;
  bool authenticated_ = false;
  bool agent_forwarding_ = false;
  std::string user_;
  std::string certificate_blob_;
  unsigned failures_ = 0;
  std::string disconnect_reason_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_activity_;
  bool finished_ = false;

 public:
  // Bookkeeping of server_loop_state.
  bool dirty_queued = false;
  std::uint64_t processed_round = 0;
};

}  // namespace tp::transport
