#include "transport/ssh_host_probe.hpp"

#include <catch2/catch.hpp>

#include <ctime>

#include "ssh_server_test_support.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/ssh_wire.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

std::string host_cert(const key_pair& host, const key_pair& ca,
                      std::vector<std::string> principals = {"node.example.test", "127.0.0.1"},
                      std::int64_t from = -60, std::int64_t to = 3600) {
  cert_template t;
  t.key = host.pub();
  t.kind = cert_type::host;
  t.key_id = "node";
  t.principals = std::move(principals);
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  t.valid_after = static_cast<std::uint64_t>(now + from);
  t.valid_before = static_cast<std::uint64_t>(now + to);
  auto blob = sign_certificate(t, ca);
  REQUIRE(blob.ok());
  return *blob;
}

}  // namespace

TEST_CASE("probe: plain packets frame and split back", "[ssh_host_probe]") {
  plain_packet_reader r;
  for (std::size_t n : {1u, 7u, 8u, 300u}) {
    const std::string payload(n, 'x');
    const std::string p = ssh_plain_packet(payload);
    CHECK(p.size() % 8 == 0);
    // Fed a byte at a time, the payload appears only once complete.
    for (std::size_t i = 0; i + 1 < p.size(); ++i) {
      r.feed(p.substr(i, 1));
      auto got = r.next();
      REQUIRE(got.ok());
      CHECK_FALSE(got->has_value());
    }
    r.feed(p.substr(p.size() - 1));
    auto got = r.next();
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK(**got == payload);
  }
}

TEST_CASE("probe: malformed packets are refused", "[ssh_host_probe]") {
  for (const std::string& bad : {std::string("\x00\x00\x00\x02\x01x", 6),  // padding < 4
                                 std::string("\xff\xff\xff\xff\x04", 5),   // huge
                                 std::string("\x00\x00\x00\x08\x09xxxxxxxxx", 13)}) {  // pad > len
    plain_packet_reader r;
    r.feed(bad);
    CHECK_FALSE(r.next().ok());
  }
}

TEST_CASE("probe: KEXINIT offers host certificates first", "[ssh_host_probe]") {
  const std::string k = probe_kexinit(std::string(16, 'c'));
  wire_reader r(k);
  CHECK(*r.u8("type") == 20);
  REQUIRE(r.raw(16, "cookie").ok());
  CHECK(std::string(*r.text("kex")).find("curve25519-sha256") == 0);
  const std::string hk(*r.text("host key algorithms"));
  CHECK(hk.find("ssh-ed25519-cert-v01@openssh.com") == 0);
  CHECK(hk.find("-cert-v01") < hk.find(",ssh-ed25519,"));
}

TEST_CASE("probe: the host key comes out of the KEX reply", "[ssh_host_probe]") {
  wire_writer w;
  w.u8(31);
  w.string("HOSTKEY");
  w.string(std::string(32, 'q'));
  w.string("sig");
  auto k = host_key_of_kex_reply(w.data());
  REQUIRE(k.ok());
  CHECK(*k == "HOSTKEY");
  CHECK_FALSE(host_key_of_kex_reply(std::string("\x1f\x00\x00", 3)).ok());  // truncated
  CHECK_FALSE(host_key_of_kex_reply(std::string("\x14", 1)).ok());          // not a reply
}

TEST_CASE("probe: our own SSH server presents its plain host key", "[ssh_host_probe]") {
  const key_pair host = make_key();
  ssh_server_options o;
  o.host_keys = {host};
  test_server s(o);
  auto blob = probe_host_key("127.0.0.1", s.server->port(), std::chrono::seconds(5));
  REQUIRE(blob.ok());
  CHECK(*blob == host.pub().blob());
}

TEST_CASE("probe: a closed port and a non-SSH server are errors", "[ssh_host_probe]") {
  test_server s;  // only to find a port that was free: stop it and probe the port
  const auto port = s.server->port();
  s.server.reset();
  auto r = probe_host_key("127.0.0.1", port, std::chrono::seconds(2));
  REQUIRE_FALSE(r.ok());
  CHECK(r.message().find("cannot connect") != std::string::npos);
}

TEST_CASE("host key policy: certificates of the host CA, pinned keys, nothing else",
          "[ssh_host_probe]") {
  const key_pair ca = make_key();
  const key_pair other_ca = make_key();
  const key_pair host = make_key();
  host_key_policy p;
  p.host_ca_blobs = {ca.pub().blob()};
  p.principal = "node.example.test";

  auto ok = check_presented_host_key(host_cert(host, ca), p);
  REQUIRE(ok.ok());
  CHECK(ok->blob() == host.pub().blob());

  // A plain key, unless it is the registered node's.
  auto plain = check_presented_host_key(host.pub().blob(), p);
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.message() == k_expected_host_certificate);
  p.pinned_key_blob = host.pub().blob();
  CHECK(check_presented_host_key(host.pub().blob(), p).ok());
  p.pinned_key_blob = make_key().pub().blob();
  CHECK_FALSE(check_presented_host_key(host.pub().blob(), p).ok());
  p.pinned_key_blob.reset();

  // Another CA's certificate reads like a plain key (the manual's message).
  auto foreign = check_presented_host_key(host_cert(host, other_ca), p);
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.message() == k_expected_host_certificate);

  // The right CA but the wrong name, or expired: refused, saying why.
  auto wrong = check_presented_host_key(host_cert(host, ca, {"other.example.test"}), p);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.message().find("ssh: handshake failed") == 0);
  CHECK_FALSE(
      check_presented_host_key(host_cert(host, ca, {"node.example.test"}, -7200, -3600), p).ok());

  // Garbage is an error, not a crash.
  CHECK_FALSE(check_presented_host_key("garbage", p).ok());
  CHECK_FALSE(check_presented_host_key("", p).ok());
}
