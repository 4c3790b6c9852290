#include "transport/ssh_host_probe.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "transport/ssh_cert.hpp"
#include "transport/ssh_reactor_fd.hpp"
#include "transport/ssh_wire.hpp"
#include "transport/tcp_dial.hpp"

namespace tp::transport {

namespace {

constexpr std::uint8_t k_msg_disconnect = 1;
constexpr std::uint8_t k_msg_kexinit = 20;
constexpr std::uint8_t k_msg_kex_ecdh_init = 30;
constexpr std::uint8_t k_msg_kex_ecdh_reply = 31;
constexpr std::size_t k_max_packet = 256 * 1024;  // RFC 4253: at least 35000 must work
constexpr std::size_t k_max_banner = 8 * 1024;    // lines a server may send before its version

using clock = std::chrono::steady_clock;

// Appends what arrives to `buf`; an error at EOF.
status receive(int fd, std::string& buf, clock::time_point deadline) {
  if (auto st = wait_for(fd, POLLIN, deadline, "waiting for the server"); !st) return st;
  char tmp[16 * 1024];
  const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
  if (n == 0) return make_error("the server closed the connection");
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return {};
    return make_error(std::string("receiving: ") + std::strerror(errno));
  }
  buf.append(tmp, static_cast<std::size_t>(n));
  return {};
}

result<std::string> x25519_public_key() {
  EVP_PKEY* key = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr), &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &key) != 1)
    return make_error("cannot make a curve25519 key");
  std::string pub(32, '\0');
  std::size_t len = pub.size();
  const int ok =
      EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(pub.data()), &len);
  EVP_PKEY_free(key);
  if (ok != 1 || len != 32) return make_error("cannot make a curve25519 key");
  return pub;
}

}  // namespace

const char* const k_probe_host_key_algorithms =
    "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,"
    "rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,"
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
    "rsa-sha2-512,rsa-sha2-256";

std::string ssh_plain_packet(std::string_view payload) {
  // packet_length (4) + padding_length (1) + payload + padding: a multiple of 8,
  // with at least 4 bytes of padding.
  std::size_t padding = 8 - ((5 + payload.size()) % 8);
  if (padding < 4) padding += 8;
  wire_writer w;
  w.u32(static_cast<std::uint32_t>(1 + payload.size() + padding));
  w.u8(static_cast<std::uint8_t>(padding));
  w.raw(payload);
  w.raw(std::string(padding, '\0'));
  return std::move(w).take();
}

std::string probe_kexinit(std::string_view cookie) {
  const char* ciphers =
      "aes128-ctr,aes256-ctr,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com";
  const char* macs = "hmac-sha2-256,hmac-sha2-512,hmac-sha2-256-etm@openssh.com";
  wire_writer w;
  w.u8(k_msg_kexinit);
  w.raw(cookie.substr(0, 16));
  w.string("curve25519-sha256,curve25519-sha256@libssh.org");
  w.string(k_probe_host_key_algorithms);
  w.string(ciphers);
  w.string(ciphers);
  w.string(macs);
  w.string(macs);
  w.string("none");
  w.string("none");
  w.string("");
  w.string("");
  w.u8(0);   // first_kex_packet_follows
  w.u32(0);  // reserved
  return std::move(w).take();
}

result<std::optional<std::string>> plain_packet_reader::next() {
  if (buf_.size() < 5) return std::optional<std::string>();
  wire_reader r(std::string_view(buf_).substr(0, 5), "SSH packet");
  const std::uint32_t length = *r.u32("packet_length");
  const std::uint8_t padding = *r.u8("padding_length");
  if (length < 5 || length > k_max_packet || padding >= length || padding < 4)
    return make_error("malformed SSH packet (length " + std::to_string(length) + ")");
  if (buf_.size() < 4 + static_cast<std::size_t>(length)) return std::optional<std::string>();
  std::string payload = buf_.substr(5, length - 1 - padding);
  buf_.erase(0, 4 + static_cast<std::size_t>(length));
  if (payload.empty()) return make_error("empty SSH packet");
  return std::optional<std::string>(std::move(payload));
}

result<std::string> host_key_of_kex_reply(std::string_view payload) {
  wire_reader r(payload, "key exchange reply");
  auto type = r.u8("message type");
  if (!type) return type.err();
  if (*type != k_msg_kex_ecdh_reply)
    return make_error("expected a key exchange reply, got message " + std::to_string(*type));
  auto key = r.string("host key");
  if (!key) return key.err();
  if (key->empty()) return make_error("the key exchange reply has an empty host key");
  return std::string(*key);
}

result<std::string> probe_host_key(const std::string& host, std::uint16_t port,
                                   std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  auto fd = dial_tcp(host, port, timeout);
  if (!fd) return fd.err();
  const std::string where = host + ":" + std::to_string(port);
  if (auto st = send_all(fd->get(), "SSH-2.0-tp_probe\r\n", deadline); !st) return st.err();

  std::string buf;
  // The server's version line (other lines may come first, RFC 4253 section 4.2).
  for (;;) {
    const auto eol = buf.find('\n');
    if (eol != std::string::npos) {
      const std::string line = buf.substr(0, eol);
      buf.erase(0, eol + 1);
      if (line.rfind("SSH-", 0) == 0) {
        if (line.rfind("SSH-2.0-", 0) != 0 && line.rfind("SSH-1.99-", 0) != 0)
          return make_error(where + " does not speak SSH 2");
        break;
      }
      continue;
    }
    if (buf.size() > k_max_banner) return make_error(where + " sent no SSH version line");
    if (auto st = receive(fd->get(), buf, deadline); !st)
      return make_error(where + ": " + st.message());
  }

  std::string cookie(16, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(cookie.data()), 16);
  auto q = x25519_public_key();
  if (!q) return q.err();
  wire_writer init;
  init.u8(k_msg_kex_ecdh_init);
  init.string(*q);
  const std::string out = ssh_plain_packet(probe_kexinit(cookie)) + ssh_plain_packet(init.data());
  if (auto st = send_all(fd->get(), out, deadline); !st) return st.err();

  plain_packet_reader packets;
  packets.feed(buf);
  bool saw_kexinit = false;
  for (;;) {
    auto p = packets.next();
    if (!p) return make_error(where + ": " + p.message());
    if (!*p) {
      std::string more;
      if (auto st = receive(fd->get(), more, deadline); !st) {
        return make_error(where + " ended the key exchange (" + st.message() +
                          "): it offers none of our host key or key exchange algorithms");
      }
      packets.feed(more);
      continue;
    }
    const std::string& payload = **p;
    const auto type = static_cast<std::uint8_t>(payload[0]);
    if (type == k_msg_disconnect) {
      wire_reader r(payload, "disconnect");
      (void)r.u8("type");
      (void)r.u32("reason");
      auto text = r.text("description");
      return make_error(where + " refused the key exchange: " +
                        (text ? std::string(*text) : std::string("no reason given")));
    }
    if (type == k_msg_kexinit) {
      saw_kexinit = true;
      continue;
    }
    if (type == k_msg_kex_ecdh_reply && saw_kexinit) return host_key_of_kex_reply(payload);
    if (type >= 20)
      return make_error(where + " sent message " + std::to_string(type) +
                        " during the key exchange");
    // 2..4 (ignore, unimplemented, debug): skip.
  }
}

result<public_key> check_presented_host_key(std::string_view presented_blob,
                                            const host_key_policy& policy,
                                            std::optional<std::uint64_t> now) {
  auto cert = parse_certificate(presented_blob);
  if (!cert) {
    auto key = public_key::from_blob(presented_blob);
    if (!key) return make_error("the host key the node presented is malformed: " + key.message());
    if (policy.pinned_key_blob && *policy.pinned_key_blob == key->blob()) return key;
    return make_error(std::string(k_expected_host_certificate));
  }
  verify_options o;
  o.trusted_ca_blobs = policy.host_ca_blobs;
  o.expected_kind = cert_type::host;
  o.principal = policy.principal;
  o.now = now;
  o.clock_skew = std::chrono::seconds(60);
  const bool trusted_ca = std::find(o.trusted_ca_blobs.begin(), o.trusted_ca_blobs.end(),
                                    cert->signature_key.blob()) != o.trusted_ca_blobs.end();
  if (!trusted_ca) return make_error(std::string(k_expected_host_certificate));
  if (auto st = verify_certificate(*cert, o); !st)
    return make_error("ssh: handshake failed: the node's host certificate: " + st.message());
  return cert->key;
}

}  // namespace tp::transport
