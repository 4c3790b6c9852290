#include "actors/node/shared_session.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "transport/ssh_reactor_loop.hpp"

using namespace tp::actors;

TEST_CASE("a shared session takes parties' input on its loop until it ends", "[join]") {
  auto loop = tp::transport::reactor_loop::create(0, "test-join");
  REQUIRE(loop);
  (*loop)->start();
  std::mutex mu;
  std::string typed;
  std::atomic<int> calls{0};
  auto s = std::make_shared<shared_session>("sid-9", **loop, [&](std::string_view d) {
    REQUIRE((*loop)->in_loop_thread());
    std::lock_guard<std::mutex> lock(mu);
    typed += d;
    ++calls;
  });
  s->input("ls ");
  s->input("-l\r");
  for (int i = 0; i < 200 && calls < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK(typed == "ls -l\r");
  }
  CHECK(s->add_party(1, **loop, {}));
  s->broadcast("output with a party whose channel is gone");  // no crash, nothing to do
  (*loop)->run_and_wait([&] { s->end(); });
  CHECK_FALSE(s->add_party(2, **loop, {}));  // ended: nobody joins any more
  s->input("late");
  (*loop)->run_and_wait([] {});
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK(typed == "ls -l\r");  // input after the end is dropped
  }
  (*loop)->stop();
}

TEST_CASE("the registry finds live shared sessions only", "[join]") {
  auto loop = tp::transport::reactor_loop::create(0, "test-reg");
  REQUIRE(loop);
  session_registry reg;
  auto a = std::make_shared<shared_session>("a", **loop, [](std::string_view) {});
  reg.add(a);
  CHECK(reg.find("a") == a);
  CHECK(reg.find("b") == nullptr);
  {
    auto b = std::make_shared<shared_session>("b", **loop, [](std::string_view) {});
    reg.add(b);
    CHECK(reg.find("b") == b);
  }
  CHECK(reg.find("b") == nullptr);  // its owner is gone
  reg.remove("a");
  CHECK(reg.find("a") == nullptr);
}
