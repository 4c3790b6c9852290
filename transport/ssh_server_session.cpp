#include "transport/ssh_server_session.hpp"

#include <vector>

#include "transport/ssh_server_core.hpp"
#include "transport/ssh_wire.hpp"

namespace tp::transport {

namespace {

bool is_certificate(enum ssh_keytypes_e t) {
  switch (t) {
    case SSH_KEYTYPE_RSA_CERT01:
    case SSH_KEYTYPE_ECDSA_P256_CERT01:
    case SSH_KEYTYPE_ECDSA_P384_CERT01:
    case SSH_KEYTYPE_ECDSA_P521_CERT01:
    case SSH_KEYTYPE_ED25519_CERT01:
    case SSH_KEYTYPE_SK_ECDSA_CERT01:
    case SSH_KEYTYPE_SK_ED25519_CERT01:
      return true;
    default:
      return false;
  }
}

std::string method_name(int method) {
  switch (method) {
    case SSH_AUTH_METHOD_PASSWORD:
      return "password";
    case SSH_AUTH_METHOD_PUBLICKEY:
      return "publickey";
    case SSH_AUTH_METHOD_HOSTBASED:
      return "hostbased";
    case SSH_AUTH_METHOD_INTERACTIVE:
      return "keyboard-interactive";
    case SSH_AUTH_METHOD_GSSAPI_MIC:
      return "gssapi-with-mic";
    default:
      return "unknown";
  }
}

}  // namespace

struct server_session::guard {
  reactor_loop::callback_scope scope;
  explicit guard(server_session* s) : scope(s->loop()) { s->mark_dirty(); }
};

server_session::server_session(std::shared_ptr<server_core> core, server_loop_state& state,
                               ssh_session s, std::uint64_t id, endpoints ends,
                               std::shared_ptr<ssh_server_handler> handler)
    : core_(std::move(core)),
      state_(state),
      session_(s),
      id_(id),
      ends_(std::move(ends)),
      server_handler_(handler ? std::move(handler) : core_->handler),
      started_(std::chrono::steady_clock::now()),
      last_activity_(started_) {}

server_session::~server_session() {
  end("session destroyed", false);
  ssh_free(session_);
}

reactor_loop& server_session::loop() const {
  return *state_.loop;
}

std::string server_session::client_version() const {
  const char* v = ssh_get_clientbanner(session_);
  return v ? v : "";
}

status server_session::begin() {
  ssh_callbacks_init(&server_callbacks_);
  server_callbacks_.userdata = this;
  server_callbacks_.auth_pubkey_function = &server_session::on_auth_pubkey;
  server_callbacks_.channel_open_request_session_function = &server_session::on_open_session;
  ssh_set_server_callbacks(session_, &server_callbacks_);
  // Everything the callbacks above do not handle: other auth methods, direct-tcpip,
  // unknown requests. Returning 1 there makes libssh send the default refusal.
  ssh_set_message_callback(session_, &server_session::on_message, this);
  ssh_set_auth_methods(session_, SSH_AUTH_METHOD_PUBLICKEY);
  ssh_set_blocking(session_, 0);
  int rc;
  {
    reactor_loop::callback_scope scope(loop());
    // Sends our banner and KEXINIT; the rest of the exchange is driven by the loop.
    rc = ssh_handle_key_exchange(session_);
  }
  if (rc == SSH_ERROR) {
    const char* e = ssh_get_error(session_);
    return make_error(std::string("key exchange failed: ") + (e ? e : "unknown error"));
  }
  return loop().add_session(session_);
}

void server_session::mark_dirty() {
  if (dirty_queued) return;
  dirty_queued = true;
  state_.dirty.push_back(this);
}

bool server_session::needs_polling() const {
  if (finished_) return false;
  for (const auto& [c, ch] : channels_)
    if (ch->needs_polling()) return true;
  return false;
}

void server_session::disconnect(std::string reason) {
  if (finished_ || !disconnect_reason_.empty()) return;
  disconnect_reason_ = reason.empty() ? "disconnected by the server" : std::move(reason);
  mark_dirty();
}

void server_session::auth_failed(auth_failure f) {
  ++failures_;
  const bool too_many = failures_ >= core_->options.max_auth_tries;
  if (server_handler_) server_handler_->on_auth_failure(f);
  if (too_many && disconnect_reason_.empty()) {
    disconnect_reason_ = "too many authentication failures";
    mark_dirty();
  }
}

// ---- libssh callbacks ----

int server_session::on_auth_pubkey(ssh_session, const char* user, ssh_key_struct* key, char state,
                                   void* ud) {
  auto* s = static_cast<server_session*>(ud);
  guard g(s);
  return refuse_on_throw(int(SSH_AUTH_DENIED), [&] { return s->auth_pubkey(user, key, state); });
}

int server_session::auth_pubkey(const char* user, ssh_key key, char state) {
  if (authenticated_ || finished_ || !disconnect_reason_.empty()) return SSH_AUTH_DENIED;
  auth_failure f;
  f.user = user ? user : "";
  f.peer_address = ends_.peer_address;
  f.peer_port = ends_.peer_port;
  f.method = "publickey";
  f.probe = state == SSH_PUBLICKEY_STATE_NONE;
  if (state != SSH_PUBLICKEY_STATE_NONE && state != SSH_PUBLICKEY_STATE_VALID) {
    f.reason = "the client's signature did not verify";
    auth_failed(std::move(f));
    return SSH_AUTH_DENIED;
  }
  const auto type = ssh_key_type(key);
  if (!is_certificate(type)) {
    const char* name = ssh_key_type_to_char(type);
    f.reason = std::string("only certificates are accepted; the client offered a plain ") +
               (name ? name : "unknown") + " key";
    auth_failed(std::move(f));
    return SSH_AUTH_DENIED;
  }
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK || !b64) {
    f.reason = "cannot read the offered certificate";
    auth_failed(std::move(f));
    return SSH_AUTH_DENIED;
  }
  auto blob = base64_decode(b64);
  ssh_string_free_char(b64);
  if (!blob) {
    f.reason = "cannot read the offered certificate: " + blob.message();
    auth_failed(std::move(f));
    return SSH_AUTH_DENIED;
  }
  auth_attempt a;
  a.user = f.user;
  a.certificate_blob = *blob;
  a.peer_address = ends_.peer_address;
  a.peer_port = ends_.peer_port;
  a.probe = f.probe;
  f.certificate_blob = *blob;
  if (auto st = server_handler_->authorize(a); !st) {
    f.reason = st.message();
    auth_failed(std::move(f));
    return SSH_AUTH_DENIED;
  }
  // A probe that passes makes the client sign; only the signed attempt logs in.
  if (f.probe) return SSH_AUTH_SUCCESS;
  auto h = server_handler_->on_authenticated(*this, a);
  if (!h) {
    f.reason = "login refused by the server";
    auth_failed(std::move(f));
    return SSH_AUTH_DENIED;
  }
  handler_ = std::move(h);
  authenticated_ = true;
  user_ = a.user;
  certificate_blob_ = std::move(a.certificate_blob);
  note_activity();
  return SSH_AUTH_SUCCESS;
}

ssh_channel server_session::on_open_session(ssh_session, void* ud) {
  auto* s = static_cast<server_session*>(ud);
  guard g(s);
  return refuse_on_throw(ssh_channel(nullptr),
                         [&] { return s->open_channel(channel_open_request{}, nullptr); });
}

int server_session::on_message(ssh_session, ssh_message msg, void* ud) {
  auto* s = static_cast<server_session*>(ud);
  guard g(s);
  return refuse_on_throw(1, [&] { return s->handle_message(msg); });
}

int server_session::handle_message(ssh_message msg) {
  const int type = ssh_message_type(msg);
  const int sub = ssh_message_subtype(msg);
  if (type == SSH_REQUEST_AUTH) {
    // "none" is how clients ask which methods exist; after the last allowed failure
    // nothing counts any more.
    if (sub == SSH_AUTH_METHOD_NONE || authenticated_ || !disconnect_reason_.empty()) return 1;
    auth_failure f;
    const char* user = ssh_message_auth_user(msg);
    f.user = user ? user : "";
    f.peer_address = ends_.peer_address;
    f.peer_port = ends_.peer_port;
    f.method = method_name(sub);
    f.reason = f.method + " authentication is not allowed: log in with a certificate";
    auth_failed(std::move(f));
    return 1;
  }
  if (type == SSH_REQUEST_CHANNEL_OPEN && sub == SSH_CHANNEL_DIRECT_TCPIP) {
    const char* host = ssh_message_channel_request_open_destination(msg);
    const int port = ssh_message_channel_request_open_destination_port(msg);
    const char* orig = ssh_message_channel_request_open_originator(msg);
    const int orig_port = ssh_message_channel_request_open_originator_port(msg);
    if (!host || port < 0 || port > 65535) return 1;
    channel_open_request req;
    req.kind = channel_kind::direct_tcpip;
    req.host = host;
    req.port = static_cast<std::uint16_t>(port);
    req.originator_address = orig ? orig : "";
    req.originator_port = orig_port >= 0 && orig_port <= 65535 ? uint16_t(orig_port) : 0;
    return open_channel(req, msg) ? 0 : 1;
  }
  return 1;  // x11, remote forwarding, unknown requests: refused
}

ssh_channel server_session::open_channel(const channel_open_request& req, ssh_message msg) {
  if (!authenticated_ || !handler_ || finished_ || !disconnect_reason_.empty()) return nullptr;
  if (channels_.size() >= core_->options.max_channels_per_session) return nullptr;
  auto h = handler_->open_channel(req);
  if (!h) return nullptr;
  ssh_channel c =
      msg ? ssh_message_channel_request_open_reply_accept(msg) : ssh_channel_new(session_);
  if (!c) return nullptr;
  auto ch = std::make_unique<server_channel>(*this, c, req.kind, std::move(h), false);
  server_channel* raw = ch.get();
  channels_.emplace(c, std::move(ch));
  try {
    raw->handler().on_open(*raw);
  } catch (...) {
    if (msg) {  // already confirmed to the client: close it again
      raw->close();
      return c;
    }
    channels_.erase(c);  // detaches our callbacks
    ssh_channel_free(c);
    return nullptr;
  }
  return c;
}

status server_session::open_agent_channel(std::unique_ptr<channel_handler> h) {
  if (!h) return make_error("no handler for the agent channel");
  if (finished_ || !authenticated_) return make_error("the session is over");
  if (!agent_forwarding_) return make_error("the client did not ask for agent forwarding");
  if (channels_.size() >= core_->options.max_channels_per_session)
    return make_error("too many channels on this session");
  ssh_channel c = ssh_channel_new(session_);
  if (!c) return make_error("cannot create a channel");
  channels_.emplace(
      c, std::make_unique<server_channel>(*this, c, channel_kind::auth_agent, std::move(h), true));
  mark_dirty();
  return {};
}

status server_session::open_forward_channel(std::string host, std::uint16_t port,
                                            std::unique_ptr<channel_handler> h) {
  if (!h) return make_error("no handler for the channel");
  if (finished_ || !authenticated_) return make_error("the session is over");
  if (channels_.size() >= core_->options.max_channels_per_session)
    return make_error("too many channels on this session");
  ssh_channel c = ssh_channel_new(session_);
  if (!c) return make_error("cannot create a channel");
  auto ch =
      std::make_unique<server_channel>(*this, c, channel_kind::forwarded_tcpip, std::move(h), true);
  ch->set_opener([host = std::move(host), port](ssh_channel native) {
    return ssh_channel_open_reverse_forward(native, host.c_str(), port, "127.0.0.1", 0);
  });
  channels_.emplace(c, std::move(ch));
  mark_dirty();
  return {};
}

// ---- after the poll ----

void server_session::process() {
  if (finished_) return;
  const int st = ssh_get_status(session_);
  if (st & (SSH_CLOSED | SSH_CLOSED_ERROR)) {
    std::string why = "connection closed by the client";
    const char* e = ssh_get_error(session_);
    if ((st & SSH_CLOSED_ERROR) && e && *e) why = e;
    end(why, false);
    return;
  }
  if (!disconnect_reason_.empty()) {
    end(disconnect_reason_, true);
    return;
  }
  check_timeouts();
  if (finished_) return;
  std::vector<ssh_channel> ids;
  ids.reserve(channels_.size());
  for (const auto& [c, ch] : channels_) ids.push_back(c);
  for (ssh_channel c : ids) {
    auto it = channels_.find(c);
    if (it == channels_.end()) continue;
    it->second->process();
    if (finished_) return;
    it = channels_.find(c);
    if (it != channels_.end() && it->second->finished()) destroy_channel(c);
  }
}

void server_session::check_timeouts() {
  const auto now = std::chrono::steady_clock::now();
  if (!authenticated_ && now - started_ >= core_->options.auth_timeout) {
    auth_failure f;
    f.peer_address = ends_.peer_address;
    f.peer_port = ends_.peer_port;
    f.reason = "not authenticated in time";
    if (server_handler_) server_handler_->on_auth_failure(f);
    end("authentication timed out", true);
    return;
  }
  const auto idle = core_->options.idle_timeout;
  if (authenticated_ && idle.count() > 0 && now - last_activity_ >= idle) end("idle timeout", true);
}

void server_session::destroy_channel(ssh_channel c) {
  auto it = channels_.find(c);
  if (it == channels_.end()) return;
  std::unique_ptr<server_channel> ch = std::move(it->second);
  channels_.erase(it);
  ch->finish();
  ch->handler().on_close();
  ch.reset();  // detaches our callbacks
  ssh_channel_free(c);
}

void server_session::end(const std::string& reason, bool send_disconnect) {
  if (finished_) return;
  finished_ = true;
  while (!channels_.empty()) destroy_channel(channels_.begin()->first);
  if (handler_) {
    handler_->on_close(reason);
    handler_.reset();
  }
  loop().remove_session(session_);
  if (send_disconnect && ssh_is_connected(session_)) {
    ssh_session_set_disconnect_message(session_, reason.c_str());
    ssh_disconnect(session_);
  } else {
    ssh_silent_disconnect(session_);
  }
}

}  // namespace tp::transport
