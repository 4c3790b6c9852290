// What the SSH server asks of the layer above it (the node service): who may log in,
// and what to do with each channel. The server owns the libssh objects; handlers decide
// and move bytes through server_channel.
//
// Threading: every call for one connection comes from that connection's reactor thread,
// one at a time; different connections call concurrently, so ssh_server_handler must be
// thread-safe. Handlers must not block: they run on the I/O threads. To reach a session
// from another thread, post to server_session::loop() with a weak_ptr.
//
// Two kinds of calls:
//  * decisions (authorize, open_channel, the on_*_request calls) run inside libssh's
//    dispatch and must answer at once. They may spawn processes, watch fds and call
//    server_channel: channel I/O started there is deferred until libssh returns
//    (writes report 0 bytes and on_writable follows).
//  * events (on_data, on_eof, on_writable, on_signal, on_close, ...) run after the poll,
//    where anything goes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "messages/result.hpp"
#include "transport/pty.hpp"

namespace tp::transport {

class server_channel;
class server_session;

// A certificate offered for a login. `probe`: the client asks whether the key would do
// (no signature yet); a refusal then only makes it try its next key.
struct auth_attempt {
  std::string user;              // the requested login
  std::string certificate_blob;  // the OpenSSH certificate, wire form
  std::string peer_address;      // client IP, no port
  std::uint16_t peer_port = 0;
  bool probe = false;
};

// For the audit log: a refused authentication attempt or a session that never got in.
struct auth_failure {
  std::string user;
  std::string peer_address;
  std::uint16_t peer_port = 0;
  std::string method;  // "publickey", "password", "keyboard-interactive", "" (timeout)
  std::string reason;
  std::string certificate_blob;  // when a certificate was offered
  bool probe = false;
};

// forwarded_tcpip: opened by the server towards the client (reverse tunnels).
enum class channel_kind { session, direct_tcpip, auth_agent, forwarded_tcpip };

struct channel_open_request {
  channel_kind kind = channel_kind::session;
  // direct-tcpip only: where to connect, and who asked (as the client reports it).
  std::string host;
  std::uint16_t port = 0;
  std::string originator_address;
  std::uint16_t originator_port = 0;
};

struct pty_request {
  std::string term;
  pty_size size;
};

// One per channel. Default answers refuse.
class channel_handler {
 public:
  virtual ~channel_handler() = default;

  // The channel is open; `ch` stays valid until on_close() returns. Called inside the
  // open decision (session, direct-tcpip) or when an agent channel is confirmed.
  virtual void on_open(server_channel& ch) = 0;

  // Decisions on "session" channels. At most one of shell/exec/subsystem is accepted
  // per channel (the server refuses the rest).
  virtual bool on_pty_request(const pty_request&) { return false; }
  virtual bool on_env(std::string_view /*name*/, std::string_view /*value*/) { return false; }
  virtual bool on_shell() { return false; }
  virtual bool on_exec(std::string_view /*command*/) { return false; }
  virtual bool on_subsystem(std::string_view /*name*/) { return false; }
  virtual bool on_window_change(const pty_size&) { return false; }
  // "auth-agent-req@openssh.com": true allows server_session::open_agent_channel().
  virtual bool on_agent_forwarding_request() { return false; }

  // Events.
  // Client data, in order. Return how much was taken; less pauses delivery until
  // server_channel::resume_reading() (the rest is kept, the client's window not grown).
  virtual std::size_t on_data(std::string_view data) = 0;
  // The client will send no more data (after every byte was taken).
  virtual void on_eof() {}
  // After a short write, the client's window has room again.
  virtual void on_writable() {}
  // "signal" request, name without "SIG" ("INT", "TERM", ...).
  virtual void on_signal(std::string_view /*name*/) {}
  // The channel is gone (both sides closed it, or the connection ended). No more calls;
  // the server_channel reference dies after this returns.
  virtual void on_close() {}
};

// One per authenticated connection.
class session_handler {
 public:
  virtual ~session_handler() = default;
  // A decision: a handler for the new channel, or nullptr to refuse it.
  virtual std::unique_ptr<channel_handler> open_channel(const channel_open_request& req) = 0;
  // The connection is over (`reason` says why); no more calls.
  virtual void on_close(const std::string& /*reason*/) {}
};

// One per server.
class ssh_server_handler {
 public:
  virtual ~ssh_server_handler() = default;
  // A decision, made twice per login (probe, then with the client's signature verified
  // by libssh). It must check everything libssh does not: the CA, the certificate type,
  // the principal, the validity, the critical options and source-address (see
  // verify_certificate in ssh_cert.hpp). The error text goes to on_auth_failure.
  virtual status authorize(const auth_attempt& a) = 0;
  // A decision after a signed attempt passed authorize(): the session's handler, or
  // nullptr to refuse the login after all.
  virtual std::unique_ptr<session_handler> on_authenticated(server_session& s,
                                                            const auth_attempt& a) = 0;
  // Audit: a refused attempt, a connection dropped for too many failures or for not
  // authenticating in time.
  virtual void on_auth_failure(const auth_failure&) {}
};

}  // namespace tp::transport
