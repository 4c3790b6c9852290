#include "actors/auth/ca_store.hpp"

#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <future>
#include <string>
#include <system_error>
#include "tests/unit/actors/test_support.hpp"

#include "actors/auth/ca_export.hpp"
#include "messages/resource.hpp"
#include "persistence/lmdb_backend.hpp"
#include "transport/ssh_private_key.hpp"

using namespace tp;
using namespace tp::actors::auth;
using messages::ca_type;

namespace {

using test::open_db;
using test::temp_dir;

std::string stored(persistence::backend& db, const std::string& key) {
  auto got = db.get(key);
  REQUIRE(got);
  return got->value;
}

messages::cert_authority stored_ca(persistence::backend& db, const std::string& key) {
  auto ca =
      messages::as_kind<messages::cert_authority>(messages::parse_resource_json(stored(db, key)));
  REQUIRE(ca);
  return *ca;
}

void put_ca(persistence::backend& db, const std::string& key, const messages::cert_authority& ca) {
  REQUIRE(db.put(key, messages::to_json(messages::resource{ca}, true).dump()));
}

// Forwards to a real backend, but the first create() of each CA key is
// preceded by "another auth server" creating its own CA there, so ours
// fails with already_exists, as in a race on a shared backend.
class racing_backend : public persistence::backend {
 public:
  explicit racing_backend(persistence::backend& inner) : in_(inner) {}
  std::string rival_user_key;  // the rival's user CA public key line

  persistence::db_result<persistence::item> get(std::string_view k) override { return in_.get(k); }
  persistence::db_result<std::uint64_t> put(std::string_view k, std::string_view v,
                                            persistence::ttl_ms t) override {
    return in_.put(k, v, t);
  }
  persistence::db_result<std::uint64_t> create(std::string_view k, std::string_view v,
                                               persistence::ttl_ms t) override {
    if (!raced_) {
      raced_ = true;
      auto rival = load_or_create_cas(in_, "example.com");  // writes both CAs
      REQUIRE(rival);
      rival_user_key = rival->user.pub().authorized_key();
    }
    return in_.create(k, v, t);
  }
  persistence::db_result<std::uint64_t> compare_and_swap(std::string_view k, std::string_view e,
                                                         std::string_view v,
                                                         persistence::ttl_ms t) override {
    return in_.compare_and_swap(k, e, v, t);
  }
  persistence::db_status remove(std::string_view k) override { return in_.remove(k); }
  persistence::db_result<std::vector<persistence::item>> get_range(std::string_view p,
                                                                   std::size_t l) override {
    return in_.get_range(p, l);
  }
  persistence::db_result<std::size_t> remove_range(std::string_view p) override {
    return in_.remove_range(p);
  }
  persistence::db_status put_batch(const std::vector<persistence::item>& items) override {
    return in_.put_batch(items);
  }
  persistence::db_result<persistence::watch_handle> watch(std::string_view p,
                                                          persistence::watch_callback cb) override {
    return in_.watch(p, std::move(cb));
  }

 private:
  persistence::backend& in_;
  bool raced_ = false;
};

}  // namespace

TEST_CASE("CAs are created on first start and loaded after a restart", "[ca_store]") {
  temp_dir dir;
  std::string user_fp, host_fp, pin;
  {
    auto db = open_db(dir);
    auto cas = load_or_create_cas(*db, "example.com");
    REQUIRE(cas);
    CHECK(cas->created);
    CHECK(cas->cluster_name == "example.com");
    CHECK(cas->user.type() == transport::key_type::ed25519);
    CHECK(cas->host.type() == transport::key_type::ed25519);
    CHECK_FALSE(cas->user.pub() == cas->host.pub());
    CHECK(cas->tls.cert.is_ca());
    CHECK(cas->tls.cert.subject_common_name() == "example.com");
    user_fp = cas->user.pub().fingerprint();
    host_fp = cas->host.pub().fingerprint();
    pin = ca_pin(*cas);
    CHECK(pin.rfind("sha256:", 0) == 0);
    auto user = stored_ca(*db, "/authorities/user/example.com");
    CHECK(user.spec.type == ca_type::user);
    CHECK(user.spec.checking_keys == std::vector<std::string>{cas->user.pub().authorized_key()});
    CHECK(user.spec.signing_alg == "ssh-ed25519");
    CHECK(user.spec.tls_key_pairs.empty());
    auto host = stored_ca(*db, "/authorities/host/example.com");
    CHECK(host.spec.type == ca_type::host);
    REQUIRE(host.spec.tls_key_pairs.size() == 1);
  }
  auto db = open_db(dir);
  auto again = load_or_create_cas(*db, "example.com");
  REQUIRE(again);
  CHECK_FALSE(again->created);
  CHECK(again->user.pub().fingerprint() == user_fp);
  CHECK(again->host.pub().fingerprint() == host_fp);
  CHECK(ca_pin(*again) == pin);
  // The loaded private keys still sign for the same public keys.
  auto sig = again->user.sign("data");
  REQUIRE(sig);
  CHECK(again->user.pub().verify("data", *sig));
}

TEST_CASE("CA private keys are in the stored JSON but not in the YAML", "[ca_store]") {
  temp_dir dir;
  auto db = open_db(dir);
  auto cas = load_or_create_cas(*db, "example.com");
  REQUIRE(cas);
  for (auto type : {ca_type::user, ca_type::host}) {
    const std::string key = ca_backend_key(type, "example.com");
    const std::string json = stored(*db, key);
    CHECK(json.find("BEGIN OPENSSH PRIVATE KEY") != std::string::npos);
    auto rec = load_ca_record(*db, type, "example.com");
    REQUIRE(rec);
    const std::string yaml = messages::to_yaml(messages::resource{*rec});
    CHECK(yaml.find("PRIVATE KEY") == std::string::npos);
    CHECK(yaml.find(rec->spec.checking_keys.front()) != std::string::npos);
    CHECK(messages::to_yaml(messages::resource{*rec}, true).find("BEGIN OPENSSH PRIVATE KEY") !=
          std::string::npos);
  }
  const std::string host_json = stored(*db, "/authorities/host/example.com");
  CHECK(host_json.find("BEGIN PRIVATE KEY") != std::string::npos);  // TLS CA key
  auto host = load_ca_record(*db, ca_type::host, "example.com");
  REQUIRE(host);
  const std::string yaml = messages::to_yaml(messages::resource{*host});
  CHECK(yaml.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(yaml.find("BEGIN PRIVATE KEY") == std::string::npos);
}

TEST_CASE("losing a creation race adopts the winner's CAs", "[ca_store]") {
  temp_dir dir;
  auto db = open_db(dir);
  racing_backend racing(*db);
  auto cas = load_or_create_cas(racing, "example.com");
  REQUIRE(cas);
  CHECK_FALSE(cas->created);
  CHECK(cas->user.pub().authorized_key() == racing.rival_user_key);
  auto reread = load_or_create_cas(*db, "example.com");
  REQUIRE(reread);
  CHECK(reread->host.pub() == cas->host.pub());
  CHECK(ca_pin(*reread) == ca_pin(*cas));
}

TEST_CASE("concurrent first starts end up with one set of CAs", "[ca_store]") {
  temp_dir dir;
  auto db = open_db(dir);
  auto run = [&] { return load_or_create_cas(*db, "example.com"); };
  auto a = std::async(std::launch::async, run);
  auto b = std::async(std::launch::async, run);
  auto ra = a.get();
  auto rb = b.get();
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK(ra->user.pub() == rb->user.pub());
  CHECK(ra->host.pub() == rb->host.pub());
  CHECK(ca_pin(*ra) == ca_pin(*rb));
}

TEST_CASE("a host CA stored without a TLS CA gets one", "[ca_store]") {
  temp_dir dir;
  auto db = open_db(dir);
  auto first = load_or_create_cas(*db, "example.com");
  REQUIRE(first);
  auto host = stored_ca(*db, "/authorities/host/example.com");
  host.spec.tls_key_pairs.clear();
  put_ca(*db, "/authorities/host/example.com", host);
  auto cas = load_or_create_cas(*db, "example.com");
  REQUIRE(cas);
  CHECK(cas->created);
  CHECK(cas->host.pub() == first->host.pub());
  CHECK_FALSE(ca_pin(*cas) == ca_pin(*first));
  CHECK(stored_ca(*db, "/authorities/host/example.com").spec.tls_key_pairs.size() == 1);
  auto again = load_or_create_cas(*db, "example.com");
  REQUIRE(again);
  CHECK(ca_pin(*again) == ca_pin(*cas));
}

TEST_CASE("unusable CA records are reported and left alone", "[ca_store]") {
  temp_dir dir;
  auto db = open_db(dir);

  SECTION("bad cluster name: nothing written") {
    for (const char* bad : {"", "a/b", "..", "has space"}) {
      auto cas = load_or_create_cas(*db, bad);
      REQUIRE_FALSE(cas);
      CHECK(cas.message().find("bad cluster name") != std::string::npos);
    }
    auto all = db->get_range("/authorities");
    REQUIRE(all);
    CHECK(all->empty());
  }
  SECTION("damaged JSON") {
    REQUIRE(db->put("/authorities/user/example.com", "{not json"));
    auto cas = load_or_create_cas(*db, "example.com");
    REQUIRE_FALSE(cas);
    CHECK(cas.message().find("/authorities/user/example.com") != std::string::npos);
    CHECK(stored(*db, "/authorities/user/example.com") == "{not json");
    CHECK(db->get("/authorities/host/example.com").is(persistence::error_kind::not_found));
  }
  SECTION("signing key does not match the checking key") {
    REQUIRE(load_or_create_cas(*db, "example.com"));
    auto user = stored_ca(*db, "/authorities/user/example.com");
    auto other = transport::key_pair::generate();
    REQUIRE(other);
    user.spec.signing_keys = {transport::encode_openssh_private_key(*other)};
    put_ca(*db, "/authorities/user/example.com", user);
    const std::string before = stored(*db, "/authorities/user/example.com");
    auto cas = load_or_create_cas(*db, "example.com");
    REQUIRE_FALSE(cas);
    CHECK(cas.message().find("does not match") != std::string::npos);
    CHECK(stored(*db, "/authorities/user/example.com") == before);
  }
  SECTION("no private key") {
    REQUIRE(load_or_create_cas(*db, "example.com"));
    auto host = stored_ca(*db, "/authorities/host/example.com");
    host.spec.signing_keys.clear();
    put_ca(*db, "/authorities/host/example.com", host);
    auto cas = load_or_create_cas(*db, "example.com");
    REQUIRE_FALSE(cas);
    CHECK(cas.message().find("private key") != std::string::npos);
  }
  SECTION("garbage signing key text") {
    REQUIRE(load_or_create_cas(*db, "example.com"));
    auto user = stored_ca(*db, "/authorities/user/example.com");
    user.spec.signing_keys = {"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"};
    put_ca(*db, "/authorities/user/example.com", user);
    auto cas = load_or_create_cas(*db, "example.com");
    REQUIRE_FALSE(cas);
    CHECK(cas.message().find("signing key") != std::string::npos);
  }
  SECTION("a record naming another cluster") {
    REQUIRE(load_or_create_cas(*db, "example.com"));
    auto user = stored_ca(*db, "/authorities/user/example.com");
    user.spec.cluster_name = "other.com";
    put_ca(*db, "/authorities/user/example.com", user);
    auto cas = load_or_create_cas(*db, "example.com");
    REQUIRE_FALSE(cas);
    CHECK(cas.message().find("other.com") != std::string::npos);
  }
  SECTION("missing record for load_ca_record") {
    auto rec = load_ca_record(*db, ca_type::user, "nowhere.com");
    REQUIRE_FALSE(rec);
    CHECK(rec.message().find("/authorities/user/nowhere.com") != std::string::npos);
  }
}
