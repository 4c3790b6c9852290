#include "messages/api_codec.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace tp::messages;

namespace {

template <class T>
void check_request_round_trip(T value) {
  const api_request in{value};
  const auto bytes = encode_request(77, in);
  auto out = decode_request({bytes.data(), bytes.size()});
  REQUIRE(out.ok());
  CHECK(out->id == 77);
  REQUIRE(std::holds_alternative<T>(out->body));
  CHECK(std::get<T>(out->body) == value);
}

template <class T>
void check_reply_round_trip(T value) {
  const api_reply in{value};
  const auto bytes = encode_reply(9, in);
  auto out = decode_reply({bytes.data(), bytes.size()});
  REQUIRE(out.ok());
  CHECK(out->id == 9);
  REQUIRE(std::holds_alternative<T>(out->body));
  CHECK(std::get<T>(out->body) == value);
}

node sample_node() {
  node n;
  n.meta.name = "5d6c1f0e-1111-4222-8333-944445555666";
  n.meta.labels = {{"env", "prod"}};
  n.spec.hostname = "luna";
  n.spec.addr = "10.0.0.5:3022";
  n.spec.cmd_labels["arch"] = command_label{std::chrono::minutes{1}, {"uname", "-m"}, "x86_64"};
  return n;
}

}  // namespace

TEST_CASE("every request survives the wire", "[api_codec]") {
  check_request_round_trip(join_request{"tok",
                                        "node",
                                        "id-1",
                                        "luna",
                                        {"10.0.0.5"},
                                        "ssh-ed25519 AAAA",
                                        "-----BEGIN PUBLIC KEY-----"});
  check_request_round_trip(ping_request{});
  check_request_round_trip(ca_keys_request{});
  check_request_round_trip(sign_user_request{"joe", "ssh-ed25519 AAAA", 3600});
  check_request_round_trip(sign_host_request{{"a", "b"}, "ssh-ed25519 AAAA", 0});
  user u;
  u.meta.name = "joe";
  u.spec.traits["logins"] = {"joe", "root"};
  u.spec.auth.password_hash = "secret-hash";
  check_request_round_trip(upsert_resource_request{resource{u}, true});
  check_request_round_trip(get_resources_request{resource_kind::cert_authority, "x", true});
  check_request_round_trip(delete_resource_request{resource_kind::oidc, "okta"});
  check_request_round_trip(create_signup_request{"joe", {"joe", "root"}, {"admin"}});
  check_request_round_trip(create_token_request{"", {"node", "proxy"}, 1800});
  check_request_round_trip(list_tokens_request{});
  check_request_round_trip(delete_token_request{"abc"});
  check_request_round_trip(heartbeat_request{sample_node(), "node", 600});
  check_request_round_trip(
      session_chunk_request{"sid-1", 65536, std::string("a\0b", 3), {R"({"event":"print"})"}});
  check_request_round_trip(recording_request{"sid-1", "bytes", 4096});
  check_request_round_trip(list_sessions_request{});
}

TEST_CASE("every reply survives the wire", "[api_codec]") {
  check_reply_round_trip(api_error{api_errc::access_denied, "no"});
  check_reply_round_trip(ok_reply{});
  check_reply_round_trip(
      ping_reply{"c", "1.0", "SHA256:a", "SHA256:b", "sha256:00", "proxy", false});
  check_reply_round_trip(recording_reply{std::string("\0\x1b[0m", 5), 1234});
  const ca_keys cas{"c", {"ssh-ed25519 U"}, {"ssh-ed25519 H"}, "PEM"};
  check_reply_round_trip(cas);
  check_reply_round_trip(join_reply{"id", "node", "cert", "tls", cas});
  check_reply_round_trip(certificate_reply{"ssh-ed25519-cert-v01@openssh.com AAAA"});
  check_reply_round_trip(resources_reply{{resource{sample_node()}}});
  check_reply_round_trip(token_info{"t", {"signup"}, 12345, "joe"});
  check_reply_round_trip(tokens_reply{{token_info{"t", {"node"}, 0, ""}}});
}

TEST_CASE("malformed payloads are errors", "[api_codec]") {
  const auto good = encode_request(1, api_request{sign_user_request{"joe", "key", 60}});
  SECTION("empty") {
    CHECK_FALSE(decode_request({}).ok());
  }
  SECTION("truncated at every length") {
    for (std::size_t n = 0; n < good.size(); ++n) {
      CHECK_FALSE(decode_request({good.data(), n}).ok());
    }
  }
  SECTION("trailing bytes") {
    auto bytes = good;
    bytes.push_back('x');
    auto r = decode_request({bytes.data(), bytes.size()});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains("trailing"));
  }
  SECTION("unknown request alternative") {
    auto bytes = good;
    bytes[8] = static_cast<char>(200);  // the byte after the 8-byte id
    auto r = decode_request({bytes.data(), bytes.size()});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains("malformed request"));
  }
  SECTION("an enum out of range") {
    auto bytes = encode_request(1, api_request{delete_resource_request{resource_kind::user, "x"}});
    bytes[9] = 50;  // resource_kind after id + alternative index
    CHECK_FALSE(decode_request({bytes.data(), bytes.size()}).ok());
  }
  SECTION("a huge declared string length") {
    std::vector<char> bytes(8, 0);
    bytes.push_back(3);                                                    // sign_user_request
    for (int i = 0; i < 9; ++i) bytes.push_back(static_cast<char>(0xff));  // varint ~2^63
    bytes.push_back(1);
    CHECK_FALSE(decode_request({bytes.data(), bytes.size()}).ok());
  }
  SECTION("a reply is not a request of the same shape") {
    const auto reply = encode_reply(1, api_reply{tokens_reply{}});
    auto r = decode_reply({reply.data(), reply.size()});
    REQUIRE(r.ok());
    CHECK(std::holds_alternative<tokens_reply>(r->body));
  }
}

TEST_CASE("random mutations of requests never crash the decoder", "[api_codec][fuzz]") {
  std::vector<std::vector<char>> seeds = {
      encode_request(1, api_request{heartbeat_request{sample_node(), "node", 60}}),
      encode_request(2, api_request{join_request{"t", "node", "h", "n", {"p"}, "k", "pem"}}),
      encode_request(3, api_request{get_resources_request{resource_kind::user, "", false}}),
  };
  std::mt19937 rng(12345);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    auto bytes = seeds[i % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const auto pos = rng() % bytes.size();
      switch (rng() % 3) {
        case 0:
          bytes[pos] = static_cast<char>(rng());
          break;
        case 1:
          bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(pos));
          break;
        default:
          bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(rng()));
      }
      if (bytes.empty()) bytes.push_back(0);
    }
    if (decode_request({bytes.data(), bytes.size()}).ok()) ++decoded;
  }
  // Some mutations (e.g. inside a string) still decode; most do not.
  CHECK(decoded < 20000);
}
