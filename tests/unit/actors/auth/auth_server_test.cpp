// The auth_server actor's heartbeat batching: heartbeats waiting in its mailbox
// are written in one backend transaction, and each is answered after that write.
#include "actors/auth/auth_server.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <catch2/catch.hpp>

#include "messages/type_ids.hpp"
#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors::auth;
using namespace tp::messages;

namespace {

// Counts the writes that reach the real backend.
class counting_backend : public persistence::backend {
 public:
  explicit counting_backend(std::shared_ptr<persistence::backend> inner)
      : inner_(std::move(inner)) {}
  std::atomic<int> puts{0}, batches{0}, batched_items{0};
  std::atomic<bool> fail_batches{false};

  persistence::db_result<persistence::item> get(std::string_view k) override {
    return inner_->get(k);
  }
  persistence::db_result<std::uint64_t> put(std::string_view k, std::string_view v,
                                            persistence::ttl_ms ttl) override {
    ++puts;
    return inner_->put(k, v, ttl);
  }
  persistence::db_result<std::uint64_t> create(std::string_view k, std::string_view v,
                                               persistence::ttl_ms ttl) override {
    return inner_->create(k, v, ttl);
  }
  persistence::db_result<std::uint64_t> compare_and_swap(std::string_view k, std::string_view e,
                                                         std::string_view v,
                                                         persistence::ttl_ms ttl) override {
    return inner_->compare_and_swap(k, e, v, ttl);
  }
  persistence::db_status remove(std::string_view k) override { return inner_->remove(k); }
  persistence::db_result<std::vector<persistence::item>> get_range(std::string_view p,
                                                                   std::size_t limit) override {
    return inner_->get_range(p, limit);
  }
  persistence::db_result<std::size_t> remove_range(std::string_view p) override {
    return inner_->remove_range(p);
  }
  persistence::db_status put_batch(const std::vector<persistence::item>& items) override {
    ++batches;
    batched_items += static_cast<int>(items.size());
    if (fail_batches) return {persistence::error_kind::io, "disk full"};
    return inner_->put_batch(items);
  }
  persistence::db_result<persistence::watch_handle> watch(std::string_view p,
                                                          persistence::watch_callback cb) override {
    return inner_->watch(p, std::move(cb));
  }

 private:
  std::shared_ptr<persistence::backend> inner_;
};

heartbeat_request beat_of(const std::string& host, std::string version = "") {
  heartbeat_request hb;
  hb.server.meta.name = host;
  hb.server.spec.hostname = host;
  hb.server.spec.addr = "127.0.0.1:3022";
  hb.server.spec.version = std::move(version);
  hb.role = "node";
  hb.ttl_seconds = 30;
  return hb;
}

}  // namespace

TEST_CASE("auth_server writes the heartbeats waiting in its mailbox in batches", "[auth_server]") {
  test::temp_dir dir;
  auto db = std::make_shared<counting_backend>(test::open_db(dir));
  auto cas = load_or_create_cas(*db, "example.test");
  REQUIRE(cas);
  auto core = std::make_unique<auth_core>(db, std::move(*cas), auth_core_options{"3.0.0", {}, ""});
  REQUIRE(core->start());

  caf::actor_system_config cfg;
  add_message_types(cfg);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  auto server = spawn_auth_server(sys, std::move(core));
  caf::scoped_actor self{sys};
  const int puts_before = db->puts;

  // 300 hosts announce themselves at once (sent before any answer is awaited),
  // one with a version too far from auth's, one speaking for another host.
  constexpr int n = 300;
  std::vector<decltype(self->request(server, std::chrono::seconds{30}, caller{}, api_request{}))>
      pending;
  for (int i = 0; i < n; ++i) {
    const std::string host = "host-" + std::to_string(i);
    auto hb = beat_of(host, i == 7 ? "1.0.0" : "3.0.0");
    const caller who{i == 9 ? "host-other" : host, {"node"}, "127.0.0.1"};
    pending.push_back(self->request(server, std::chrono::seconds{30}, who, api_request{hb}));
  }
  int ok = 0, refused = 0;
  for (int i = 0; i < n; ++i) {
    pending[static_cast<std::size_t>(i)].receive(
        [&](api_reply& r) {
          if (auto* e = std::get_if<api_error>(&r)) {
            ++refused;
            if (i == 7) CHECK_THAT(e->message, Catch::Contains("version"));
            if (i == 9) CHECK(e->code == api_errc::access_denied);
          } else {
            CHECK(std::holds_alternative<ok_reply>(r));
            ++ok;
          }
        },
        [&](caf::error& e) { FAIL(caf::to_string(e)); });
  }
  CHECK(ok == n - 2);
  CHECK(refused == 2);
  // Every accepted heartbeat is durable when answered, in far fewer transactions.
  CHECK(db->batched_items == n - 2);
  CHECK(db->batches < n / 4);
  CHECK(db->puts == puts_before);
  auto listed = db->get_range("/nodes/default", persistence::no_limit);
  REQUIRE(listed);
  CHECK(listed->size() == static_cast<std::size_t>(n - 2));

  // A failed write is every batched host's error, not a silent success.
  db->fail_batches = true;
  self->request(server, std::chrono::seconds{30}, caller{"host-1", {"node"}, "x"},
                api_request{beat_of("host-1", "3.0.0")})
      .receive(
          [&](api_reply& r) {
            REQUIRE(std::holds_alternative<api_error>(r));
            CHECK_THAT(std::get<api_error>(r).message, Catch::Contains("disk full"));
          },
          [&](caf::error& e) { FAIL(caf::to_string(e)); });
  self->send_exit(server, caf::exit_reason::user_shutdown);
}
