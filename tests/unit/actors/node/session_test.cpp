#include "actors/node/session.hpp"

#include <caf/all.hpp>

#include <catch2/catch.hpp>

#include "actors/host/host_atoms.hpp"

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
