// Bounded, deterministic mutation testing of the certificate and key parsers: hostile
// bytes must produce errors, never crashes, and never an accepted forgery. Run this
// under -DTP_SANITIZE=ON to catch memory errors; tests/fuzz/ has a libFuzzer entry point.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>

#include "transport/ssh_cert.hpp"
#include "transport/ssh_private_key.hpp"
#include "transport/ssh_wire.hpp"

using namespace tp::transport;

namespace {

struct corpus_entry {
  std::string blob;
  std::string ca_blob;
};

std::vector<corpus_entry> make_corpus() {
  const std::pair<key_type, key_type> pairs[] = {{key_type::ed25519, key_type::ed25519},
                                                 {key_type::ecdsa_p256, key_type::ecdsa_p384},
                                                 {key_type::rsa, key_type::ed25519},
                                                 {key_type::ed25519, key_type::rsa},
                                                 {key_type::ecdsa_p521, key_type::ecdsa_p256}};
  std::vector<corpus_entry> out;
  for (const auto& [subject, ca_type] : pairs) {
    auto key = key_pair::generate(subject, 2048);
    auto ca = key_pair::generate(ca_type, 2048);
    REQUIRE(key.ok());
    REQUIRE(ca.ok());
    cert_template t;
    t.key = key->pub();
    t.key_id = "fuzz";
    t.principals = {"alice", "bob"};
    t.valid_after = 1000;
    t.valid_before = 2000;
    t.critical_options = {{"force-command", "ls"}, {"source-address", "10.0.0.0/8"}};
    auto blob = sign_certificate(t, *ca);
    REQUIRE(blob.ok());
    out.push_back({*blob, ca->pub().blob()});
  }
  return out;
}

std::string mutate(std::string s, std::mt19937& rng) {
  auto pick = [&](std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  const int rounds = 1 + static_cast<int>(pick(4));
  for (int i = 0; i < rounds; ++i) {
    switch (pick(6)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:  // random byte
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
        break;
      case 2:  // interesting 32-bit value, often hitting a length prefix
        if (s.size() >= 4) {
          static const std::uint32_t values[] = {0,          1,  0x7fffffff, 0x80000000, 0xffffffff,
                                                 0xfffffffc, 32, 64,         65536};
          const std::uint32_t v = values[pick(std::size(values))];
          const std::size_t at = pick(s.size() - 3);
          for (int b = 0; b < 4; ++b) s[at + b] = static_cast<char>(v >> (24 - 8 * b));
        }
        break;
      case 3:  // delete a range
        if (!s.empty()) {
          const std::size_t at = pick(s.size());
          s.erase(at, 1 + pick(std::min<std::size_t>(16, s.size() - at)));
        }
        break;
      case 4:  // insert random bytes
        s.insert(pick(s.size() + 1), std::string(1 + pick(8), static_cast<char>(pick(256))));
        break;
      default:  // duplicate a chunk
        if (!s.empty()) {
          const std::size_t at = pick(s.size());
          const std::string chunk = s.substr(at, 1 + pick(32));
          s.insert(pick(s.size() + 1), chunk);
        }
        break;
    }
  }
  return s;
}

}  // namespace

TEST_CASE("every truncation of a valid certificate is refused", "[ssh_cert][fuzz]") {
  for (const auto& entry : make_corpus()) {
    REQUIRE(parse_certificate(entry.blob).ok());
    for (std::size_t len = 0; len < entry.blob.size(); ++len) {
      auto parsed = parse_certificate(std::string_view(entry.blob).substr(0, len));
      REQUIRE_FALSE(parsed.ok());
      REQUIRE_FALSE(parsed.message().empty());
    }
  }
}

TEST_CASE("random mutations of certificates never crash or verify", "[ssh_cert][fuzz]") {
  const auto corpus = make_corpus();
  std::mt19937 rng(20240501);
  const auto start = std::chrono::steady_clock::now();
  int parsed_ok = 0, verified = 0;
  constexpr int k_iterations = 20000;
  for (int i = 0; i < k_iterations; ++i) {
    const corpus_entry& e = corpus[static_cast<std::size_t>(i) % corpus.size()];
    const std::string m = mutate(e.blob, rng);
    auto cert = parse_certificate(m);
    if (!cert) {
      REQUIRE_FALSE(cert.message().empty());
      continue;
    }
    ++parsed_ok;
    verify_options o;
    o.trusted_ca_blobs = {e.ca_blob};
    o.principal = "alice";
    o.now = 1500;
    o.client_address = "10.1.2.3";
    if (verify_certificate(*cert, o).ok()) {
      ++verified;
      // Only the untouched certificate may pass: any other accepted blob is a forgery.
      REQUIRE(m == e.blob);
    }
    (void)cert->authorized_key();
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN(k_iterations << " mutations: " << parsed_ok << " parsed, " << verified
                    << " verified (unchanged), " << secs << " s");
  CHECK(parsed_ok > 0);  // the mutator does reach the verifier
}

TEST_CASE("random input to keys, lines and the wire reader never crashes", "[ssh_wire][fuzz]") {
  std::mt19937 rng(7);
  auto corpus = make_corpus();
  auto key = key_pair::generate(key_type::ecdsa_p256);
  REQUIRE(key.ok());
  const std::string pem = encode_openssh_private_key(*key, "c");
  const std::string line = key->pub().authorized_key("c");
  for (int i = 0; i < 5000; ++i) {
    const std::string blob = mutate(key->pub().blob(), rng);
    if (auto k = public_key::from_blob(blob); k.ok()) REQUIRE(k->blob() == blob);
    (void)public_key::from_authorized_key(mutate(line, rng));
    (void)parse_certificate_line(mutate(corpus[0].blob.substr(0, 40), rng));
    (void)base64_decode(mutate("Zm9vYmFy", rng));
    if (i % 10 == 0) {
      auto parsed = parse_openssh_private_key(mutate(pem, rng));
      if (parsed.ok()) REQUIRE(parsed->pub() == key->pub());
    }

    // Arbitrary sequences of reads on arbitrary bytes stay in bounds.
    const std::string data = mutate(corpus[i % corpus.size()].blob.substr(0, 64), rng);
    wire_reader r(data, "fuzz");
    for (int op = 0; op < 12 && !r.empty(); ++op) {
      switch (rng() % 6) {
        case 0:
          (void)r.u8("a");
          break;
        case 1:
          (void)r.u32("b");
          break;
        case 2:
          (void)r.u64("c");
          break;
        case 3:
          (void)r.string("d");
          break;
        case 4:
          (void)r.mpint("e", 16);
          break;
        default:
          (void)r.text("f", 8);
          break;
      }
      REQUIRE(r.offset() + r.remaining() == data.size());
    }
  }
}
