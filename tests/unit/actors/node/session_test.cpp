#include "actors/node/session.hpp"

#include <caf/all.hpp>

#include <catch2/catch.hpp>

#include "actors/host/host_atoms.hpp"
#include "messages/type_ids.hpp"

using namespace tp::actors;

TEST_CASE("the session actor completes events and ends with its last handle", "[session]") {
  caf::actor_system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  caf::scoped_actor link{sys};
  std::vector<nlohmann::json> got;
  auto receive_one = [&] {
    bool ok = false;
    link->receive(
        [&](audit_atom, const std::string& text) {
          got.push_back(nlohmann::json::parse(text));
          ok = true;
        },
        caf::after(std::chrono::seconds{5}) >> [] {});
    REQUIRE(ok);
  };
  {
    auto session = spawn_session(sys, caf::actor_cast<caf::actor>(link), "sid-1");
    session->post({{"event", "resize"}, {"size", "100:30"}});
    session->post({{"event", "session.start"}, {"login", "root"}});
    session->post({{"event", "session.end"}, {"exitCode", "0"}});
    for (int i = 0; i < 3; ++i) receive_one();
  }
  REQUIRE(got.size() == 3);
  for (const auto& e : got) {
    CHECK(e["sid"] == "sid-1");
    CHECK(e.contains("time"));
  }
  CHECK(got[1]["size"] == "100:30");  // the start carries the terminal size seen before
  CHECK(got[2]["session_start"] == got[1]["time"]);
  CHECK(got[2]["session_stop"] == got[2]["time"]);
}

TEST_CASE("the session actor records an interactive session in chunks", "[session]") {
  caf::actor_system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  tp::messages::add_message_types(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor link{sys};
  std::vector<nlohmann::json> audit;
  std::vector<tp::messages::session_chunk_request> chunks;
  const std::string big(recording_chunk_bytes + 100, 'x');
  {
    auto session = spawn_session(sys, caf::actor_cast<caf::actor>(link), "sid-2", true);
    REQUIRE(session->recording());
    session->post({{"event", "resize"}, {"size", "80:24"}});
    session->post({{"event", "session.start"}, {"login", "root"}});
    session->output("hello ");
    session->output("world\r\n");
    session->output(big);  // more than a chunk: sent at once
    session->post({{"event", "session.end"}, {"exitCode", "0"}});
  }
  // Everything arrives: audit events and chunks, ending with the end's chunk.
  for (int i = 0; i < 20; ++i) {
    bool got = false;
    link->receive(
        [&](audit_atom, const std::string& text) {
          audit.push_back(nlohmann::json::parse(text));
          got = true;
        },
        [&](tp::messages::api_request& r) {
          REQUIRE(std::holds_alternative<tp::messages::session_chunk_request>(r));
          chunks.push_back(std::get<tp::messages::session_chunk_request>(std::move(r)));
          got = true;
        },
        caf::after(std::chrono::seconds{2}) >> [] {});
    if (!got) break;
  }
  REQUIRE(audit.size() == 3);
  REQUIRE(chunks.size() >= 2);
  std::string data;
  std::vector<nlohmann::json> events;
  for (const auto& c : chunks) {
    CHECK(c.sid == "sid-2");
    CHECK(c.offset == data.size());  // contiguous
    data += c.data;
    for (const auto& e : c.events) events.push_back(nlohmann::json::parse(e));
  }
  CHECK(data == "hello world\r\n" + big);
  REQUIRE(events.front()["event"] == "session.start");
  CHECK(events.back()["event"] == "session.end");
  std::string from_prints;
  std::uint64_t ci = 0;
  for (const auto& e : events) {
    if (e["event"] != "print") continue;
    CHECK(e["ci"] == ci++);
    from_prints += data.substr(e["offset"].get<std::size_t>(), e["bytes"].get<std::size_t>());
  }
  CHECK(from_prints == data);
}

TEST_CASE("a session without a terminal is not recorded", "[session]") {
  caf::actor_system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  tp::messages::add_message_types(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor link{sys};
  {
    auto session = spawn_session(sys, caf::actor_cast<caf::actor>(link), "sid-3", true);
    session->post({{"event", "session.start"}, {"command", "ls"}});  // no size: no pty
    session->output("file-list\n");
    session->post({{"event", "session.end"}});
  }
  int audit = 0, chunks = 0;
  for (int i = 0; i < 10; ++i) {
    bool got = false;
    link->receive([&](audit_atom, const std::string&) { ++audit, got = true; },
                  [&](tp::messages::api_request&) { ++chunks, got = true; },
                  caf::after(std::chrono::milliseconds{500}) >> [] {});
    if (!got) break;
  }
  CHECK(audit == 2);
  CHECK(chunks == 0);
}
