#include "transport/ssh_tunnel_client.hpp"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <memory>
#include <optional>
#include <vector>

#include "transport/ssh_wire.hpp"
#include "transport/tunnel_frame.hpp"

namespace tp::transport {
namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t k_chunk = 64 * 1024;
constexpr int k_max_channels = 1024;

// One forwarded channel and what it reaches: a socket, or a query's answer.
struct bridge {
  ssh_channel ch = nullptr;
  int sock = -1;
  std::string to_sock;  // channel data the socket has not taken yet
  std::string to_ch;    // socket data (or a query's answer) the window has not taken yet
  bool ch_eof = false;  // the root will send no more
  bool sock_eof = false;
  bool eof_sent = false;
  short watching = 0;  // the events sock is registered for (POLLIN, POLLOUT)
  bool done = false;
};

int wake(socket_t, int, void*) {
  return 0;
}

struct client {
  tunnel_client_options o;
  ssh_session s = nullptr;
  ssh_event ev = nullptr;
  ssh_channel hb = nullptr;
  bool ready = false;
  std::vector<std::pair<ssh_channel, std::pair<std::string, std::uint16_t>>> accepted;
  std::list<bridge> bridges;
  line_reader lines;
  clock::time_point last_answer = clock::now();
  clock::time_point next_beat = clock::now();

  ~client() {
    for (auto& b : bridges) release(b);
    if (hb) ssh_channel_free(hb);
    if (ev) ssh_event_free(ev);
    if (s) {
      ssh_disconnect(s);
      ssh_free(s);
    }
    // libssh never closes a socket it was given with SSH_OPTIONS_FD.
    if (o.fd >= 0) ::close(o.fd);
  }

  void release(bridge& b) {
    if (b.watching) ssh_event_remove_fd(ev, b.sock);
    b.watching = 0;
    if (b.sock >= 0) ::close(b.sock);
    b.sock = -1;
    if (b.ch) {
      if (!ssh_channel_is_closed(b.ch)) ssh_channel_close(b.ch);
      ssh_channel_free(b.ch);
    }
    b.ch = nullptr;
  }

  std::string error_text(const char* what) const {
    const char* e = ssh_get_error(s);
    return std::string(what) + ": " + (e && *e ? e : "unknown error");
  }

  static int on_message(ssh_session, ssh_message msg, void* ud) {
    auto* self = static_cast<client*>(ud);
    if (ssh_message_type(msg) != SSH_REQUEST_CHANNEL_OPEN ||
        ssh_message_subtype(msg) != SSH_CHANNEL_FORWARDED_TCPIP || !self->ready ||
        self->bridges.size() + self->accepted.size() >= k_max_channels) {
      return 1;  // refused
    }
    const char* dest = ssh_message_channel_request_open_destination(msg);
    const int port = ssh_message_channel_request_open_destination_port(msg);
    if (dest == nullptr || port < 0 || port > 65535) return 1;
    ssh_channel ch = ssh_message_channel_request_open_reply_accept(msg);
    if (ch == nullptr) return 0;
    self->accepted.push_back({ch, {dest, static_cast<std::uint16_t>(port)}});
    return 0;
  }

  status connect() {
    s = ssh_new();
    if (!s) return make_error("cannot create an SSH session");
    const int fd = o.fd;
    ssh_options_set(s, SSH_OPTIONS_FD, &fd);
    ssh_options_set(s, SSH_OPTIONS_HOST, "tunnel");
    ssh_options_set(s, SSH_OPTIONS_USER, o.user.c_str());
    bool no = false;
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
    long timeout = 15;
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
    // Every byte of every session through the tunnel is encrypted once more here:
    // AES-GCM first, which the CPU does in hardware.
    const char* ciphers =
        "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr";
    ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, ciphers);
    ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, ciphers);
    const int connected = ssh_connect(s);
    if (connected != SSH_OK) return make_error(error_text("SSH handshake"));

    ssh_key server_key = nullptr;
    if (ssh_get_server_publickey(s, &server_key) != SSH_OK) {
      return make_error(error_text("reading the server's host key"));
    }
    char* b64 = nullptr;
    const int rc = ssh_pki_export_pubkey_base64(server_key, &b64);
    ssh_key_free(server_key);
    if (rc != SSH_OK || b64 == nullptr) return make_error("cannot export the server's host key");
    auto blob = base64_decode(b64);
    ssh_string_free_char(b64);
    if (!blob) return make_error("the server's host key: " + blob.message());

    ssh_key priv = nullptr;
    if (ssh_pki_import_privkey_base64(o.private_key.c_str(), nullptr, nullptr, nullptr, &priv) !=
        SSH_OK) {
      return make_error("cannot read the host key of this proxy");
    }
    std::unique_ptr<ssh_key_struct, void (*)(ssh_key)> priv_guard(priv, ssh_key_free);
    const auto sp = o.certificate.find(' ');
    if (sp == std::string::npos) return make_error("the host certificate line is malformed");
    const std::string type_name = o.certificate.substr(0, sp);
    std::string cert_b64 = o.certificate.substr(sp + 1);
    cert_b64 = cert_b64.substr(0, cert_b64.find(' '));
    ssh_key cert = nullptr;
    if (ssh_pki_import_cert_base64(cert_b64.c_str(), ssh_key_type_from_name(type_name.c_str()),
                                   &cert) != SSH_OK) {
      return make_error("cannot read the host certificate of this proxy");
    }
    const int copied = ssh_pki_copy_cert_to_privkey(cert, priv);
    ssh_key_free(cert);
    if (copied != SSH_OK) return make_error("the host certificate does not match the host key");
    if (ssh_userauth_publickey(s, nullptr, priv) != SSH_AUTH_SUCCESS) {
      return make_error(error_text("the root proxy refused this cluster's host certificate"));
    }

    ssh_set_message_callback(s, &client::on_message, this);
    hb = ssh_channel_new(s);
    if (!hb || ssh_channel_open_session(hb) != SSH_OK ||
        ssh_channel_request_subsystem(hb, "tp-tunnel") != SSH_OK) {
      return make_error(error_text("opening the heartbeat channel"));
    }
    // The root's host certificate comes first.
    const auto deadline = clock::now() + std::chrono::seconds{15};
    std::optional<std::string> first;
    char buf[4096];
    while (!(first = lines.next())) {
      if (clock::now() >= deadline) return make_error("the root proxy sent no host certificate");
      const int n = ssh_channel_read_timeout(hb, buf, sizeof buf, 0, 1000);
      if (n == SSH_ERROR || (n == 0 && ssh_channel_is_eof(hb))) {
        return make_error(error_text("reading the root proxy's host certificate"));
      }
      if (n > 0) {
        if (auto st = lines.feed({buf, static_cast<std::size_t>(n)}); !st) return st;
      }
    }
    if (!o.check_server) return make_error("no way to check the root proxy");
    if (auto st = o.check_server(*first, *blob); !st) {
      return make_error("the root proxy is not who it should be: " + st.message());
    }
    ssh_set_blocking(s, 0);
    ev = ssh_event_new();
    if (!ev || ssh_event_add_session(ev, s) != SSH_OK) return make_error("cannot poll the session");
    ready = true;
    last_answer = clock::now();
    if (o.on_ready) o.on_ready();
    return {};
  }

  void start_accepted() {
    auto list = std::move(accepted);
    accepted.clear();
    for (auto& [ch, dest] : list) {
      bridge b;
      b.ch = ch;
      const auto& [host, port] = dest;
      auto fd = o.dial ? o.dial(host, port) : result<int>(make_error("no dialer"));
      if (!fd) {
        const std::string why = fd.message() + "\n";
        ssh_channel_write_stderr(ch, why.data(), static_cast<std::uint32_t>(why.size()));
        b.sock_eof = true;
        b.done = true;
      } else {
        b.sock = *fd;
      }
      bridges.push_back(std::move(b));
    }
  }

  void set_watch(bridge& b, short events) {
    if (b.sock < 0 || b.watching == events) return;
    if (b.watching) ssh_event_remove_fd(ev, b.sock);
    b.watching = 0;
    if (events && ssh_event_add_fd(ev, b.sock, events, wake, nullptr) == SSH_OK) {
      b.watching = events;
    }
  }

  // Moves bytes both ways, then registers the socket for what it waits on.
  void pump(bridge& b) {
    char buf[k_chunk];
    if (ssh_channel_is_closed(b.ch)) b.done = true;
    // Root -> socket.
    while (!b.done && b.to_sock.empty() && !b.ch_eof) {
      const int n = ssh_channel_read_nonblocking(b.ch, buf, sizeof buf, 0);
      if (n > 0) {
        b.to_sock.assign(buf, static_cast<std::size_t>(n));
      } else if (n == SSH_ERROR) {
        b.done = true;
      } else {
        if (ssh_channel_is_eof(b.ch)) b.ch_eof = true;
        break;
      }
      while (!b.to_sock.empty() && b.sock >= 0) {
        const ssize_t w =
            ::send(b.sock, b.to_sock.data(), b.to_sock.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
          b.to_sock.erase(0, static_cast<std::size_t>(w));
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
          break;
        } else {
          b.done = true;
          break;
        }
      }
      if (b.sock < 0) b.to_sock.clear();
    }
    if (b.ch_eof && b.to_sock.empty() && b.sock >= 0) ::shutdown(b.sock, SHUT_WR);
    // Socket -> root, within the window.
    while (!b.done) {
      if (!b.to_ch.empty()) {
        const std::uint32_t win = ssh_channel_window_size(b.ch);
        if (win == 0) break;
        const std::size_t len = std::min<std::size_t>({b.to_ch.size(), win, k_chunk});
        const int w = ssh_channel_write(b.ch, b.to_ch.data(), static_cast<std::uint32_t>(len));
        if (w < 0) {
          b.done = true;
          break;
        }
        b.to_ch.erase(0, static_cast<std::size_t>(w));
        if (w == 0) break;
        continue;
      }
      if (b.sock_eof || b.sock < 0) break;
      const ssize_t n = ::recv(b.sock, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        b.to_ch.assign(buf, static_cast<std::size_t>(n));
      } else if (n == 0) {
        b.sock_eof = true;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        break;
      } else {
        b.sock_eof = true;
      }
    }
    if (b.sock_eof && b.to_ch.empty() && !b.eof_sent && !b.done) {
      ssh_channel_send_eof(b.ch);
      b.eof_sent = true;
    }
    if (b.eof_sent && b.ch_eof && b.to_sock.empty()) b.done = true;
    // Readable only while its data can go somewhere; writable while data waits for it:
    // the poll wakes for exactly what can make progress (no busy polling).
    short events = 0;
    if (!b.done && !b.sock_eof && b.to_ch.empty()) events |= POLLIN;
    if (!b.done && !b.to_sock.empty()) events |= POLLOUT;
    // (Data for the root that waits for its window wakes us through the session's socket.)
    set_watch(b, events);
  }

  status beat(clock::time_point now) {
    char buf[4096];
    for (;;) {
      const int n = ssh_channel_read_nonblocking(hb, buf, sizeof buf, 0);
      if (n > 0) {
        if (auto st = lines.feed({buf, static_cast<std::size_t>(n)}); !st) return st;
        continue;
      }
      if (n == SSH_ERROR || ssh_channel_is_eof(hb) || ssh_channel_is_closed(hb)) {
        return make_error("the root proxy closed the heartbeat channel");
      }
      break;
    }
    while (auto line = lines.next()) {
      last_answer = now;
      if (o.on_answer) o.on_answer(*line);
    }
    if (now >= next_beat) {
      std::string line = (o.heartbeat_payload ? o.heartbeat_payload() : std::string("{}")) + "\n";
      ssh_channel_write(hb, line.data(), static_cast<std::uint32_t>(line.size()));
      next_beat = now + o.heartbeat;
    }
    if (now - last_answer > o.heartbeat * o.missed_heartbeats) {
      return make_error("the root proxy stopped answering heartbeats");
    }
    return {};
  }

  status run() {
    if (auto st = connect(); !st) return st;
    for (;;) {
      if (o.stop && o.stop->load()) return make_error("stopped");
      const auto now = clock::now();
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_beat - now).count();
      wait = std::clamp<long long>(wait, 0, 200);
      ssh_event_dopoll(ev, static_cast<int>(wait));
      if (!ssh_is_connected(s) || (ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
        return make_error(error_text("the tunnel connection ended"));
      }
      start_accepted();
      for (auto it = bridges.begin(); it != bridges.end();) {
        pump(*it);
        if (it->done) {
          release(*it);
          it = bridges.erase(it);
        } else {
          ++it;
        }
      }
      if (auto st = beat(clock::now()); !st) return st;
    }
  }
};

}  // namespace

status run_tunnel_client(tunnel_client_options options) {
  client c;
  c.o = std::move(options);
  return c.run();
}

}  // namespace tp::transport
