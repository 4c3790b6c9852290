#include "transport/ssh_cert.hpp"

#include <libssh/libssh.h>
#include <catch2/catch.hpp>

#include <map>

#include "openssh_tools.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/ssh_wire.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

const key_type k_all_types[] = {key_type::ed25519, key_type::ecdsa_p256, key_type::ecdsa_p384,
                                key_type::ecdsa_p521, key_type::rsa};

constexpr std::uint64_t k_2030 = 1893456000;  // 2030-01-01T00:00:00Z
constexpr std::uint64_t k_day = 86400;

// One key per type, generated once (RSA keygen is slow); 2048-bit RSA for speed.
const key_pair& key_of(key_type t, int set = 0) {
  static std::map<std::pair<int, int>, key_pair> keys;
  auto it = keys.find({static_cast<int>(t), set});
  if (it == keys.end()) {
    auto k = key_pair::generate(t, 2048);
    REQUIRE(k.ok());
    it = keys.emplace(std::pair{static_cast<int>(t), set}, *k).first;
  }
  return it->second;
}

cert_template user_template(const public_key& key) {
  cert_template t;
  t.key = key;
  t.kind = cert_type::user;
  t.serial = 77;
  t.key_id = "alice@example.com";
  t.principals = {"alice", "admin"};
  t.valid_after = k_2030;
  t.valid_before = k_2030 + k_day;
  return t;
}

ssh_certificate issue(const cert_template& t, const key_pair& ca) {
  auto blob = sign_certificate(t, ca);
  REQUIRE(blob.ok());
  auto cert = parse_certificate(*blob);
  REQUIRE(cert.ok());
  return *cert;
}

verify_options opts_for(const key_pair& ca, std::string principal = "alice") {
  verify_options o;
  o.trusted_ca_blobs = {ca.pub().blob()};
  o.principal = std::move(principal);
  o.now = k_2030 + 3600;
  return o;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Replaces the signature of a parsed certificate, keeping the signed part.
std::string with_signature(const ssh_certificate& c, const std::string& sig) {
  wire_writer w;
  w.raw(std::string_view(c.blob).substr(0, c.signed_size));
  w.string(sig);
  return std::move(w).take();
}

std::string relabel_signature(const std::string& sig, const std::string& alg) {
  wire_reader r(sig);
  (void)r.string("alg");
  auto body = r.string("body");
  wire_writer w;
  w.string(alg);
  w.string(*body);
  return std::move(w).take();
}

// Builds a certificate by hand, for shapes sign_certificate refuses to produce.
std::string hand_made(const key_pair& ca, const std::string& options, const std::string& exts,
                      const std::string& ca_blob, std::uint32_t kind = 1) {
  const key_pair& subject = key_of(key_type::ed25519);
  wire_writer w, principals;
  principals.string("alice");
  w.string(cert_type_name(key_type::ed25519));
  w.string(std::string(32, 'n'));
  subject.pub().write_fields(w);
  w.u64(1);
  w.u32(kind);
  w.string("id");
  w.string(principals.data());
  w.u64(k_2030);
  w.u64(k_2030 + k_day);
  w.string(options);
  w.string(exts);
  w.string("");
  w.string(ca_blob);
  auto sig = ca.sign(w.data());
  REQUIRE(sig.ok());
  w.string(*sig);
  return std::move(w).take();
}

std::string options_of(std::initializer_list<std::pair<std::string, std::string>> items) {
  wire_writer w;
  for (const auto& [name, value] : items) {
    w.string(name);
    if (value.empty()) {
      w.string("");
    } else {
      wire_writer inner;
      inner.string(value);
      w.string(inner.data());
    }
  }
  return std::move(w).take();
}

}  // namespace

TEST_CASE("certificates we issue are accepted by ssh-keygen -L", "[ssh_cert][openssh]") {
  temp_dir dir;
  const std::string path = dir.file("id-cert.pub");
  for (key_type subject : k_all_types) {
    for (key_type ca_type : k_all_types) {
      for (cert_type kind : {cert_type::user, cert_type::host}) {
        INFO(key_type_name(subject)
             << " signed by " << key_type_name(ca_type) << " as " << cert_type_label(kind));
        const key_pair& ca = key_of(ca_type, 1);
        cert_template t = user_template(key_of(subject).pub());
        t.kind = kind;
        if (kind == cert_type::host) t.principals = {"node1", "node1.example.com", "10.0.0.5"};
        const ssh_certificate cert = issue(t, ca);
        write_text(path, cert.authorized_key("comment") + "\n");

        auto out = run("ssh-keygen -L -f " + quote(path));
        REQUIRE(out.exit_code == 0);
        const std::string& o = out.output;
        CHECK(contains(o, "Type: " + std::string(cert_type_name(subject)) + " " +
                              std::string(cert_type_label(kind)) + " certificate"));
        CHECK(contains(o, "Public key: "));
        CHECK(contains(o, key_of(subject).pub().fingerprint()));
        CHECK(contains(o, "Signing CA: "));
        CHECK(contains(o, ca.pub().fingerprint()));
        CHECK(contains(o, std::string("(using ") +
                              (ca_type == key_type::rsa ? "rsa-sha2-512"
                                                        : std::string(key_type_name(ca_type))) +
                              ")"));
        CHECK(contains(o, "Key ID: \"alice@example.com\""));
        CHECK(contains(o, "Serial: 77"));
        CHECK(contains(o, "Valid: from 2030-01-01T00:00:00 to 2030-01-02T00:00:00"));
        for (const auto& p : t.principals) CHECK(contains(o, "\n                " + p + "\n"));
        if (kind == cert_type::user) {
          for (const auto& [name, value] : default_user_extensions()) {
            CHECK(contains(o, "                " + name + "\n"));
          }
        } else {
          CHECK(contains(o, "Extensions: (none)"));
        }
      }
    }
  }
  // ssh-keygen -L checks the CA signature, so the acceptance above means something.
  const ssh_certificate good =
      issue(user_template(key_of(key_type::ed25519).pub()), key_of(key_type::ed25519, 1));
  ssh_certificate bad = good;
  bad.blob[bad.blob.size() - 5] ^= 0x01;
  write_text(path, bad.authorized_key() + "\n");
  auto out = run("ssh-keygen -L -f " + quote(path));
  CHECK(out.exit_code != 0);
  CHECK(contains(out.output, "incorrect signature"));
}

TEST_CASE("ssh-keygen -L shows our critical options and custom extensions", "[ssh_cert][openssh]") {
  temp_dir dir;
  const key_pair& ca = key_of(key_type::ed25519, 1);
  cert_template t = user_template(key_of(key_type::ecdsa_p256).pub());
  t.critical_options = {{"force-command", "/usr/bin/uptime"},
                        {"source-address", "10.0.0.0/8,192.168.1.7,::1"}};
  t.extensions = cert_options{{"permit-pty", ""}, {"login@example.com", "alice"}};
  t.valid_after = 0;
  t.valid_before = k_cert_forever;
  const ssh_certificate cert = issue(t, ca);
  CHECK(cert.extensions == *t.extensions);
  CHECK(cert.critical_options == t.critical_options);
  write_text(dir.file("c-cert.pub"), cert.authorized_key() + "\n");
  auto out = run("ssh-keygen -L -f " + quote(dir.file("c-cert.pub")));
  REQUIRE(out.exit_code == 0);
  CHECK(contains(out.output, "Valid: forever"));
  CHECK(contains(out.output, "force-command /usr/bin/uptime"));
  CHECK(contains(out.output, "source-address 10.0.0.0/8,192.168.1.7,::1"));
  CHECK(contains(out.output, "permit-pty"));
  CHECK(contains(out.output, "login@example.com"));
  CHECK_FALSE(contains(out.output, "permit-agent-forwarding"));
}

TEST_CASE("certificates issued by ssh-keygen parse and verify", "[ssh_cert][openssh]") {
  temp_dir dir;
  const char* ca_args[] = {"-t ed25519", "-t ecdsa -b 256", "-t ecdsa -b 384", "-t ecdsa -b 521",
                           "-t rsa -b 3072"};
  const char* key_args[] = {"-t ecdsa -b 521", "-t rsa -b 2048", "-t ed25519", "-t ecdsa -b 256",
                            "-t ed25519"};
  for (int i = 0; i < 5; ++i) {
    INFO("CA " << ca_args[i] << ", key " << key_args[i]);
    const std::string ca = dir.file("ca" + std::to_string(i));
    const std::string key = dir.file("key" + std::to_string(i));
    REQUIRE(run(std::string("ssh-keygen -q -N '' ") + ca_args[i] + " -f " + quote(ca)).exit_code ==
            0);
    REQUIRE(
        run(std::string("ssh-keygen -q -N '' ") + key_args[i] + " -f " + quote(key)).exit_code ==
        0);
    auto ca_key = read_openssh_private_key_file(ca);
    REQUIRE(ca_key.ok());
    auto subject = public_key::from_authorized_key(read_text(key + ".pub"));
    REQUIRE(subject.ok());

    // User certificate.
    auto signed_user = run("ssh-keygen -q -s " + quote(ca) +
                           " -I user-id -n alice,bob -V +1h -z 42 " + quote(key + ".pub"));
    REQUIRE(signed_user.exit_code == 0);
    auto cert = parse_certificate_line(read_text(key + "-cert.pub"));
    REQUIRE(cert.ok());
    CHECK(cert->key == *subject);
    CHECK(cert->kind == cert_type::user);
    CHECK(cert->key_id == "user-id");
    CHECK(cert->serial == 42);
    CHECK(cert->principals == std::vector<std::string>{"alice", "bob"});
    CHECK(cert->extensions == default_user_extensions());
    CHECK(cert->critical_options.empty());
    CHECK(cert->signature_key == ca_key->pub());
    CHECK(cert->valid_before - cert->valid_after <= 3600 + 120);  // ssh-keygen backdates the start
    verify_options o;
    o.trusted_ca_blobs = {ca_key->pub().blob()};
    o.principal = "bob";
    CHECK(verify_certificate(*cert, o).ok());
    o.principal = "root";
    CHECK(
        contains(verify_certificate(*cert, o).message(), "principal \"root\" not in certificate"));

    // Host certificate.
    REQUIRE(run("ssh-keygen -q -s " + quote(ca) + " -h -I host-id -n node1,node1.example.com " +
                "-V -5m:+1d " + quote(key + ".pub"))
                .exit_code == 0);
    auto host = parse_certificate_line(read_text(key + "-cert.pub"));
    REQUIRE(host.ok());
    CHECK(host->kind == cert_type::host);
    CHECK(host->extensions.empty());
    verify_options ho;
    ho.trusted_ca_blobs = {ca_key->pub().blob()};
    ho.expected_kind = cert_type::host;
    ho.principal = "node1.example.com";
    CHECK(verify_certificate(*host, ho).ok());
    ho.expected_kind = cert_type::user;
    CHECK(contains(verify_certificate(*host, ho).message(), "is a host certificate"));
  }
}

TEST_CASE("ssh-keygen certificate restrictions are enforced", "[ssh_cert][openssh]") {
  temp_dir dir;
  const std::string ca = dir.file("ca"), key = dir.file("key");
  REQUIRE(run("ssh-keygen -q -N '' -t ed25519 -f " + quote(ca)).exit_code == 0);
  REQUIRE(run("ssh-keygen -q -N '' -t ed25519 -f " + quote(key)).exit_code == 0);
  auto ca_key = read_openssh_private_key_file(ca);
  REQUIRE(ca_key.ok());
  verify_options o;
  o.trusted_ca_blobs = {ca_key->pub().blob()};
  o.principal = "alice";

  SECTION("force-command and source-address") {
    REQUIRE(run("ssh-keygen -q -s " + quote(ca) + " -I id -n alice -V +1h " +
                "-O force-command=/bin/true -O source-address=10.0.0.0/8,2001:db8::/32 " +
                quote(key + ".pub"))
                .exit_code == 0);
    auto cert = parse_certificate_line(read_text(key + "-cert.pub"));
    REQUIRE(cert.ok());
    CHECK(cert->critical_options.at("force-command") == "/bin/true");
    CHECK(contains(verify_certificate(*cert, o).message(), "client address is unknown"));
    o.client_address = "10.20.30.40";
    CHECK(verify_certificate(*cert, o).ok());
    o.client_address = "::ffff:10.1.1.1";
    CHECK(verify_certificate(*cert, o).ok());
    o.client_address = "2001:db8:1::5";
    CHECK(verify_certificate(*cert, o).ok());
    o.client_address = "11.0.0.1";
    CHECK(contains(verify_certificate(*cert, o).message(), "11.0.0.1 is not allowed"));
  }
  SECTION("unknown critical option") {
    auto out = run("ssh-keygen -q -s " + quote(ca) + " -I id -n alice -V +1h " +
                   "-O critical:must-understand@example.com=yes " + quote(key + ".pub"));
    REQUIRE(out.exit_code == 0);
    auto cert = parse_certificate_line(read_text(key + "-cert.pub"));
    REQUIRE(cert.ok());
    CHECK(contains(verify_certificate(*cert, o).message(),
                   "unknown critical option \"must-understand@example.com\""));
  }
  SECTION("no principals") {
    REQUIRE(
        run("ssh-keygen -q -s " + quote(ca) + " -I id -V +1h " + quote(key + ".pub")).exit_code ==
        0);
    auto cert = parse_certificate_line(read_text(key + "-cert.pub"));
    REQUIRE(cert.ok());
    CHECK(cert->principals.empty());
    o.principal.reset();
    CHECK(contains(verify_certificate(*cert, o).message(), "lists no principals"));
  }
}

TEST_CASE("libssh's export of a certificate parses to the same blob", "[ssh_cert][libssh]") {
  temp_dir dir;
  for (key_type t : {key_type::ed25519, key_type::ecdsa_p384, key_type::rsa}) {
    INFO(key_type_name(t));
    const ssh_certificate cert = issue(user_template(key_of(t).pub()), key_of(t, 1));
    const std::string path = dir.file("k-cert.pub");
    write_text(path, cert.authorized_key() + "\n");
    ssh_key k = nullptr;
    REQUIRE(ssh_pki_import_cert_file(path.c_str(), &k) == SSH_OK);
    char* b64 = nullptr;
    REQUIRE(ssh_pki_export_pubkey_base64(k, &b64) == SSH_OK);
    auto blob = base64_decode(b64);
    ssh_string_free_char(b64);
    ssh_key_free(k);
    REQUIRE(blob.ok());
    CHECK(*blob == cert.blob);
    auto again = parse_certificate(*blob);
    REQUIRE(again.ok());
    CHECK(verify_certificate(*again, opts_for(key_of(t, 1))).ok());
  }
}

TEST_CASE("verification refuses bad certificates with a reason", "[ssh_cert]") {
  const key_pair& ca = key_of(key_type::ed25519, 1);
  const key_pair& other_ca = key_of(key_type::ed25519, 2);
  const ssh_certificate cert = issue(user_template(key_of(key_type::rsa).pub()), ca);
  REQUIRE(verify_certificate(cert, opts_for(ca)).ok());
  REQUIRE(verify_certificate(cert, opts_for(ca, "admin")).ok());

  SECTION("wrong principal") {
    auto s = verify_certificate(cert, opts_for(ca, "root"));
    CHECK(s.message() == "principal \"root\" not in certificate (it lists: alice, admin)");
  }
  SECTION("expired, and the bound is exclusive") {
    auto o = opts_for(ca);
    o.now = k_2030 + k_day - 1;
    CHECK(verify_certificate(cert, o).ok());
    o.now = k_2030 + k_day;
    o.clock_skew = std::chrono::seconds(300);  // never extends expiry
    CHECK(verify_certificate(cert, o).message().rfind("certificate expired at 2030-01-02T00:00:00Z",
                                                      0) == 0);
  }
  SECTION("not yet valid, unless within the clock skew") {
    auto o = opts_for(ca);
    o.now = k_2030 - 10;
    CHECK(contains(verify_certificate(cert, o).message(), "not valid until 2030-01-01T00:00:00Z"));
    o.clock_skew = std::chrono::seconds(10);
    CHECK(verify_certificate(cert, o).ok());
    o.now = k_2030;
    o.clock_skew = std::chrono::seconds(0);
    CHECK(verify_certificate(cert, o).ok());
  }
  SECTION("untrusted CA") {
    auto o = opts_for(other_ca);
    CHECK(contains(verify_certificate(cert, o).message(),
                   "certificate signed by an untrusted CA (CA key " + ca.pub().fingerprint()));
    o.trusted_ca_blobs.clear();
    CHECK(contains(verify_certificate(cert, o).message(), "no trusted certificate authorities"));
    o.trusted_ca_blobs = {other_ca.pub().blob(), ca.pub().blob()};
    CHECK(verify_certificate(cert, o).ok());
  }
  SECTION("tampered signature byte") {
    for (std::size_t back : {1, 10, 40}) {
      std::string bad = cert.blob;
      bad[bad.size() - back] ^= 0x20;
      auto parsed = parse_certificate(bad);
      REQUIRE(parsed.ok());
      CHECK(contains(verify_certificate(*parsed, opts_for(ca)).message(),
                     "certificate signature is invalid"));
    }
  }
  SECTION("tampered signed byte") {
    std::string bad = cert.blob;
    const auto pos = bad.find("admin");
    REQUIRE(pos != std::string::npos);
    bad[pos] = 'b';  // principal "bdmin"
    auto parsed = parse_certificate(bad);
    REQUIRE(parsed.ok());
    CHECK(contains(verify_certificate(*parsed, opts_for(ca, "bdmin")).message(),
                   "signature is invalid"));
  }
  SECTION("signed by a different key than the one named") {
    auto forged = parse_certificate(
        with_signature(cert, *other_ca.sign(cert.blob.substr(0, cert.signed_size))));
    REQUIRE(forged.ok());
    CHECK(contains(verify_certificate(*forged, opts_for(ca)).message(), "signature is invalid"));
  }
  SECTION("wrong certificate type") {
    auto o = opts_for(ca);
    o.expected_kind = cert_type::host;
    CHECK(verify_certificate(cert, o).message() ==
          "certificate is a user certificate, but a host certificate is required");
  }
  SECTION("unknown critical option") {
    cert_template t = user_template(key_of(key_type::ed25519).pub());
    t.critical_options = {{"verify-required", ""}};
    CHECK(contains(verify_certificate(issue(t, ca), opts_for(ca)).message(),
                   "unknown critical option \"verify-required\""));
  }
  SECTION("a host certificate with a critical option") {
    const std::string blob =
        hand_made(ca, options_of({{"force-command", "ls"}}), "", ca.pub().blob(), 2);
    auto parsed = parse_certificate(blob);
    REQUIRE(parsed.ok());
    auto o = opts_for(ca);
    o.expected_kind = cert_type::host;
    CHECK(contains(verify_certificate(*parsed, o).message(), "unknown critical option"));
  }
  SECTION("source-address") {
    cert_template t = user_template(key_of(key_type::ed25519).pub());
    t.critical_options = {{"source-address", "192.0.2.0/24"}};
    const ssh_certificate c = issue(t, ca);
    auto o = opts_for(ca);
    o.client_address = "192.0.2.200";
    CHECK(verify_certificate(c, o).ok());
    o.client_address = "192.0.3.1";
    CHECK_FALSE(verify_certificate(c, o).ok());
    o.client_address = "not-an-ip";
    CHECK(contains(verify_certificate(c, o).message(), "not an IP address"));
  }
}

TEST_CASE("signature algorithm must match the CA key", "[ssh_cert]") {
  const key_pair& rsa_ca = key_of(key_type::rsa, 1);
  const ssh_certificate cert = issue(user_template(key_of(key_type::ed25519).pub()), rsa_ca);
  CHECK(*signature_algorithm(cert.signature) == "rsa-sha2-512");

  auto sha1 = parse_certificate(with_signature(cert, relabel_signature(cert.signature, "ssh-rsa")));
  REQUIRE(sha1.ok());
  CHECK(contains(verify_certificate(*sha1, opts_for(rsa_ca)).message(), "SHA-1"));
  auto mismatch =
      parse_certificate(with_signature(cert, relabel_signature(cert.signature, "ssh-ed25519")));
  REQUIRE(mismatch.ok());
  CHECK(contains(verify_certificate(*mismatch, opts_for(rsa_ca)).message(),
                 "algorithm \"ssh-ed25519\" cannot come from a ssh-rsa key"));
}

TEST_CASE("structurally bad certificates are refused by the parser", "[ssh_cert]") {
  const key_pair& ca = key_of(key_type::ed25519, 1);
  SECTION("signature key that is a certificate") {
    const ssh_certificate inner = issue(user_template(ca.pub()), key_of(key_type::ed25519, 2));
    auto parsed = parse_certificate(hand_made(ca, "", "", inner.blob));
    REQUIRE_FALSE(parsed.ok());
    CHECK(contains(parsed.message(), "signing key is itself a certificate"));
  }
  SECTION("unsorted or duplicate extensions") {
    auto unsorted = parse_certificate(hand_made(
        ca, "", options_of({{"permit-pty", ""}, {"permit-X11-forwarding", ""}}), ca.pub().blob()));
    REQUIRE_FALSE(unsorted.ok());
    CHECK(contains(unsorted.message(), "out of order or repeated"));
    auto dup = parse_certificate(
        hand_made(ca, options_of({{"source-address", "10.0.0.1"}, {"source-address", "0.0.0.0/0"}}),
                  "", ca.pub().blob()));
    CHECK_FALSE(dup.ok());
  }
  SECTION("option data that is not a string") {
    wire_writer w;
    w.string("force-command");
    w.string("ls");  // data must be string("ls"), not the bare bytes
    auto parsed = parse_certificate(hand_made(ca, w.data(), "", ca.pub().blob()));
    REQUIRE_FALSE(parsed.ok());
    CHECK(contains(parsed.message(), "force-command"));
  }
  SECTION("unknown type, trailing bytes, plain key, oversize") {
    CHECK(contains(parse_certificate(hand_made(ca, "", "", ca.pub().blob(), 3)).message(),
                   "unknown certificate type 3"));
    const std::string good = hand_made(ca, "", "", ca.pub().blob());
    REQUIRE(parse_certificate(good).ok());
    CHECK(contains(parse_certificate(good + "z").message(), "unexpected bytes"));
    CHECK(contains(parse_certificate(ca.pub().blob()).message(), "is not a certificate type"));
    CHECK(contains(parse_certificate(std::string(70000, 'x')).message(), "larger than"));
    CHECK_FALSE(parse_certificate("").ok());
  }
  SECTION("certificate line whose type disagrees with the blob") {
    const ssh_certificate c = issue(user_template(key_of(key_type::ed25519).pub()), ca);
    const std::string line = c.authorized_key();
    CHECK(parse_certificate_line(line + " comment\n").ok());
    const std::string b64 = line.substr(line.find(' ') + 1);
    CHECK(
        contains(parse_certificate_line("ssh-rsa-cert-v01@openssh.com " + b64).message(), "says"));
    CHECK_FALSE(parse_certificate_line("garbage").ok());
  }
}

TEST_CASE("sign_certificate refuses bad templates", "[ssh_cert]") {
  const key_pair& ca = key_of(key_type::ed25519, 1);
  const cert_template good = user_template(key_of(key_type::ed25519).pub());
  REQUIRE(sign_certificate(good, ca).ok());
  auto refused = [&](auto edit, const std::string& why) {
    cert_template t = good;
    edit(t);
    auto r = sign_certificate(t, ca);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.message(), why));
  };
  refused([](cert_template& t) { t.principals.clear(); }, "at least one principal");
  refused([](cert_template& t) { t.principals = {std::string("a\0b", 3)}; }, "NUL");
  refused([](cert_template& t) { t.principals = {""}; }, "empty principal");
  refused([](cert_template& t) { t.valid_before = t.valid_after; }, "must be before");
  refused([](cert_template& t) { t.key = public_key{}; }, "no key");
  refused(
      [](cert_template& t) {
        t.critical_options = {{"source-address", "10.0.0.0/99"}};
      },
      "prefix length");
  refused(
      [](cert_template& t) {
        t.kind = cert_type::host;
        t.critical_options = {{"force-command", "ls"}};
      },
      "host certificates carry no critical options");
}

TEST_CASE("issued certificates carry fresh nonces and the template's fields", "[ssh_cert]") {
  const key_pair& ca = key_of(key_type::ecdsa_p256, 1);
  const cert_template t = user_template(key_of(key_type::ecdsa_p521).pub());
  const ssh_certificate a = issue(t, ca), b = issue(t, ca);
  CHECK(a.nonce.size() == 32);
  CHECK(a.nonce != b.nonce);
  CHECK(a.type == key_type::ecdsa_p521);
  CHECK(a.key == t.key);
  CHECK(a.serial == 77);
  CHECK(a.key_id == t.key_id);
  CHECK(a.principals == t.principals);
  CHECK(a.valid_after == t.valid_after);
  CHECK(a.valid_before == t.valid_before);
  CHECK(a.extensions == default_user_extensions());
  CHECK(a.signature_key == ca.pub());
  auto line = certificate_line(a.blob, "alice");
  REQUIRE(line.ok());
  CHECK(*line == a.authorized_key("alice"));
  CHECK(line->rfind("ecdsa-sha2-nistp521-cert-v01@openssh.com AAAA", 0) == 0);
  CHECK_FALSE(certificate_line(ca.pub().blob()).ok());
  cert_template host = t;
  host.kind = cert_type::host;
  CHECK(issue(host, ca).extensions.empty());
  host.extensions = cert_options{};
  CHECK(issue(host, ca).extensions.empty());
}

TEST_CASE("source-address lists", "[ssh_cert]") {
  CHECK(*source_address_matches("10.0.0.0/8", "10.255.0.1"));
  CHECK_FALSE(*source_address_matches("10.0.0.0/8", "11.0.0.1"));
  CHECK(*source_address_matches("1.2.3.4", "1.2.3.4"));
  CHECK_FALSE(*source_address_matches("1.2.3.4", "1.2.3.5"));
  CHECK(*source_address_matches("0.0.0.0/0", "8.8.8.8"));
  CHECK(*source_address_matches("10.0.0.0/8,fe80::/10", "fe80::1"));
  CHECK_FALSE(*source_address_matches("fe80::/10", "10.0.0.1"));
  CHECK(*source_address_matches("192.168.1.0/25", "192.168.1.127"));
  CHECK_FALSE(*source_address_matches("192.168.1.0/25", "192.168.1.128"));
  CHECK_FALSE(source_address_matches("10.0.0.0/33", "10.0.0.1").ok());
  CHECK_FALSE(source_address_matches("10.0.0.0/", "10.0.0.1").ok());
  CHECK_FALSE(source_address_matches("10.0.0.0/8,", "10.0.0.1").ok());
  CHECK_FALSE(source_address_matches("10.0.0.0/8, 1.2.3.4", "10.0.0.1").ok());
  CHECK_FALSE(source_address_matches("*", "10.0.0.1").ok());
  CHECK_FALSE(source_address_matches("", "10.0.0.1").ok());
}

TEST_CASE("certificate times are printed in UTC", "[ssh_cert]") {
  CHECK(format_cert_time(0) == "1970-01-01T00:00:00Z");
  CHECK(format_cert_time(k_2030) == "2030-01-01T00:00:00Z");
  CHECK(format_cert_time(k_cert_forever) == "forever");
  CHECK(format_cert_time(k_cert_forever - 1) == "second 18446744073709551614 of the epoch");
}
