#include "actors/audit/audit_store.hpp"

#include <caf/all.hpp>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "actors/audit/audit_log.hpp"
#include "messages/type_ids.hpp"
#include "tests/unit/actors/test_support.hpp"

using namespace tp;
using namespace tp::actors;
using namespace tp::messages;

namespace {

std::size_t lines_in(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path());
    for (std::string l; std::getline(in, l);) ++n;
  }
  return n;
}

const caller host_caller{"host-1", {"node"}, "127.0.0.1"};

api_request events(std::vector<std::string> e) {
  return api_request{audit_event_request{std::move(e)}};
}

}  // namespace

TEST_CASE("audit events are staged, then durable together", "[audit_store]") {
  test::temp_dir dir;
  const auto log = (dir / "log").string();
  audit_store store(log);
  const auto now = std::chrono::system_clock::now();
  auto a = events({R"({"event":"session.start","sid":"s1","user":"alice","server_id":"forged"})"});
  auto b = events({R"({"event":"exec","command":"ls"})", R"({"event":"session.end","sid":"s1"})"});
  REQUIRE(std::holds_alternative<ok_reply>(store.stage(host_caller, a, now)));
  REQUIRE(std::holds_alternative<ok_reply>(store.stage(host_caller, b, now)));
  CHECK(store.has_staged());
  CHECK(lines_in(log) == 0);  // nothing written before the commit
  REQUIRE(store.commit());
  CHECK(lines_in(log) == 3);
  auto q = store.read(api_request{audit_query_request{0, 0, "session.start", 10}}, now);
  REQUIRE(std::holds_alternative<events_reply>(q));
  const auto& got = std::get<events_reply>(q).events;
  REQUIRE(got.size() == 1);
  CHECK(got[0].find(R"("server_id":"host-1")") != std::string::npos);  // stamped, not forged
  auto verify = store.read(api_request{audit_verify_request{}}, now);
  REQUIRE(std::holds_alternative<audit_verify_reply>(verify));
  for (const auto& f : std::get<audit_verify_reply>(verify).files) CHECK(f.bad_line == 0);
}

TEST_CASE("a bad audit batch stages nothing", "[audit_store]") {
  test::temp_dir dir;
  const auto log = (dir / "log").string();
  audit_store store(log);
  const auto now = std::chrono::system_clock::now();
  for (auto bad : {events({R"({"event":"ok"})", "not json"}), events({R"({"event":5})"}),
                   events({R"(["event"])"}), events({std::string(70000, ' ') + "{}"})}) {
    auto r = store.stage(host_caller, bad, now);
    REQUIRE(std::holds_alternative<api_error>(r));
    CHECK(std::get<api_error>(r).code == api_errc::bad_parameter);
  }
  CHECK_FALSE(store.has_staged());
  // Odd but valid shapes do not throw: a numeric sid, a list as the user.
  auto odd = events({R"({"event":"session.start","sid":42,"user":["x"]})"});
  CHECK(std::holds_alternative<ok_reply>(store.stage(host_caller, odd, now)));
  REQUIRE(store.commit());
  CHECK(lines_in(log) == 1);
}

TEST_CASE("live sessions follow start, join, leave, end and host loss", "[audit_store]") {
  test::temp_dir dir;
  audit_store store((dir / "log").string());
  const auto now = std::chrono::system_clock::now();
  auto list = [&] {
    auto r = store.read(api_request{list_sessions_request{}}, now);
    REQUIRE(std::holds_alternative<events_reply>(r));
    std::vector<nlohmann::json> out;
    for (const auto& l : std::get<events_reply>(r).events) out.push_back(nlohmann::json::parse(l));
    return out;
  };
  auto start = events({R"({"event":"session.start","sid":"s1","user":"alice"})",
                       R"({"event":"session.start","sid":"s2","user":"bob"})",
                       R"({"event":"session.join","sid":"s1","user":"carol"})"});
  REQUIRE(std::holds_alternative<ok_reply>(store.stage(host_caller, start, now)));
  auto live = list();
  REQUIRE(live.size() == 2);
  CHECK(live[0]["parties"] == nlohmann::json::array({"alice", "carol"}));
  auto more = events({R"({"event":"session.leave","sid":"s1","user":"carol"})",
                      R"({"event":"session.end","sid":"s2"})"});
  REQUIRE(std::holds_alternative<ok_reply>(store.stage(host_caller, more, now)));
  live = list();
  REQUIRE(live.size() == 1);
  CHECK(live[0]["parties"] == nlohmann::json::array({"alice"}));
  store.host_offline("host-1");
  CHECK(list().empty());
}

TEST_CASE("the audit_log actor acknowledges writes once they are durable", "[audit_log]") {
  test::temp_dir dir;
  const auto log = (dir / "log").string();
  caf::actor_system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  add_message_types(cfg);
  caf::actor_system sys{cfg};
  auto store = std::make_shared<audit_store>(log);
  auto actor = spawn_audit_log(sys, store);
  caf::scoped_actor self{sys};
  constexpr int senders = 32;
  // Many requests in flight at once: each reply must mean "on disk".
  int ok = 0;
  for (int i = 0; i < senders; ++i) {
    self->send(actor, host_caller, events({R"({"event":"exec","n":)" + std::to_string(i) + "}"}));
  }
  for (int i = 0; i < senders; ++i) {
    self->receive([&](api_reply& r) { ok += std::holds_alternative<ok_reply>(r) ? 1 : 0; },
                  caf::after(std::chrono::seconds{10}) >> [] {});
  }
  CHECK(ok == senders);
  CHECK(lines_in(log) == senders);
  // A refused request is answered with the reason and writes nothing.
  self->send(actor, host_caller, events({"not json"}));
  bool refused = false;
  self->receive([&](api_reply& r) { refused = std::holds_alternative<api_error>(r); },
                caf::after(std::chrono::seconds{10}) >> [] {});
  CHECK(refused);
  // Reads see every acknowledged write, chain intact.
  self->send(actor, host_caller, api_request{audit_verify_request{}});
  self->receive(
      [&](api_reply& r) {
        REQUIRE(std::holds_alternative<audit_verify_reply>(r));
        const auto& files = std::get<audit_verify_reply>(r).files;
        REQUIRE(files.size() == 1);
        CHECK(files[0].lines == senders);
        CHECK(files[0].bad_line == 0);
      },
      caf::after(std::chrono::seconds{10}) >> [] { FAIL("no reply"); });
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST_CASE("queries use the search index and fall back to the day file", "[audit_store]") {
  test::temp_dir dir;
  const auto log = (dir / "log").string();
  audit_store store(log);
  const auto now = std::chrono::system_clock::now();
  std::vector<std::string> batch;
  for (int i = 0; i < 50; ++i) {
    batch.push_back(R"({"event":")" + std::string(i % 5 == 0 ? "session.end" : "exec") +
                    R"(","time":"2026-11-20T10:00:)" + (i < 10 ? "0" : "") + std::to_string(i) +
                    R"(Z","n":)" + std::to_string(i) + "}");
  }
  auto req = events(batch);
  REQUIRE(std::holds_alternative<ok_reply>(store.stage(host_caller, req, now)));
  REQUIRE(store.commit());
  CHECK(std::filesystem::exists(dir / "log" / "index" / "data.mdb"));
  auto query = [&](std::int64_t since, std::int64_t until, const std::string& type,
                   std::int64_t limit) {
    auto r = store.read(api_request{audit_query_request{since, until, type, limit}}, now);
    REQUIRE(std::holds_alternative<events_reply>(r));
    return std::get<events_reply>(r);
  };
  // 2026-11-20T10:00:00Z = 1795168800.
  const std::int64_t t0 = 1795168800;
  auto ends = query(t0, t0 + 3600, "session.end", 100);
  REQUIRE(ends.events.size() == 10);
  CHECK_FALSE(ends.truncated);
  for (const auto& l : ends.events) CHECK(nlohmann::json::parse(l)["event"] == "session.end");
  auto window = query(t0 + 10, t0 + 20, "", 100);
  REQUIRE(window.events.size() == 10);
  CHECK(nlohmann::json::parse(window.events.front())["n"] == 10);
  auto limited = query(t0, t0 + 3600, "exec", 7);
  CHECK(limited.events.size() == 7);
  CHECK(limited.truncated);
  // A line the index never saw (appended by hand): the day is scanned instead,
  // and the line is found.
  {
    std::ofstream day(log + "/2026-11-20.00:00:00.log", std::ios::app);
    day << R"({"event":"session.end","time":"2026-11-20T10:30:00Z","n":99})"
        << "\n";
  }
  CHECK(query(t0, t0 + 3600, "session.end", 100).events.size() == 11);
}
