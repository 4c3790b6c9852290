#include "transport/ssh_reactor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

using namespace tp::transport;
using namespace std::chrono_literals;

namespace {

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return p();
}

}  // namespace

TEST_CASE("ssh_reactor: posted work runs on the loop thread, in order", "[ssh_reactor]") {
  auto r = ssh_reactor::start({3, "t"});
  REQUIRE(r);
  CHECK((*r)->size() == 3);
  reactor_loop& l = (*r)->loop(1);
  CHECK_FALSE(l.in_loop_thread());
  std::vector<int> seen;
  std::atomic<bool> on_loop{true};
  for (int i = 0; i < 100; ++i)
    REQUIRE(l.post([&, i] {
      seen.push_back(i);
      on_loop = on_loop && l.in_loop_thread();
    }));
  // run_and_wait queues behind them.
  REQUIRE(l.run_and_wait([] {}));
  REQUIRE(seen.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(seen[i] == i);
  CHECK(on_loop);

  // Posting from many threads at once.
  std::atomic<int> count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) l.post([&] { ++count; });
    });
  for (auto& t : threads) t.join();
  CHECK(eventually([&] { return count == 4000; }));
}

TEST_CASE("ssh_reactor: round-robin over the loops", "[ssh_reactor]") {
  auto r = ssh_reactor::start({2, "t"});
  REQUIRE(r);
  std::set<std::size_t> picked;
  for (int i = 0; i < 4; ++i) picked.insert((*r)->next_loop().index());
  CHECK(picked == std::set<std::size_t>{0, 1});
  CHECK_FALSE(ssh_reactor::start({0, "t"}));
}

TEST_CASE("ssh_reactor: timers fire in order and can be cancelled", "[ssh_reactor]") {
  auto r = ssh_reactor::start({1, "t"});
  REQUIRE(r);
  reactor_loop& l = (*r)->loop(0);
  std::vector<int> fired;
  std::mutex m;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration first_at{};
  l.run_and_wait([&] {
    l.schedule(60ms, [&] {
      std::lock_guard lock(m);
      fired.push_back(3);
    });
    l.schedule(20ms, [&] {
      std::lock_guard lock(m);
      first_at = std::chrono::steady_clock::now() - start;
      fired.push_back(1);
    });
    const auto id = l.schedule(40ms, [&] {
      std::lock_guard lock(m);
      fired.push_back(99);
    });
    l.schedule(40ms, [&] {
      std::lock_guard lock(m);
      fired.push_back(2);
    });
    l.cancel(id);
  });
  CHECK(eventually([&] {
    std::lock_guard lock(m);
    return fired.size() == 3;
  }));
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(m);
  CHECK(fired == std::vector<int>{1, 2, 3});
  CHECK(first_at >= 20ms);
}

TEST_CASE("ssh_reactor: fd watches are level-triggered and can pause", "[ssh_reactor]") {
  auto r = ssh_reactor::start({1, "t"});
  REQUIRE(r);
  reactor_loop& l = (*r)->loop(0);
  int p[2];
  REQUIRE(::pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
  std::atomic<int> calls{0};
  std::string got;
  std::mutex m;
  reactor_loop::watch_id id = 0;
  l.run_and_wait([&] {
    auto w = l.watch(p[0], POLLIN, [&](short revents) {
      ++calls;
      if (!(revents & POLLIN)) return;
      char c;
      // One byte per call: the rest makes the watch fire again.
      if (::read(p[0], &c, 1) == 1) {
        std::lock_guard lock(m);
        got += c;
      }
    });
    REQUIRE(w);
    id = *w;
    // A second watch of the same fd is refused.
    CHECK_FALSE(l.watch(p[0], POLLIN, [](short) {}));
  });
  REQUIRE(::write(p[1], "abc", 3) == 3);
  CHECK(eventually([&] {
    std::lock_guard lock(m);
    return got == "abc";
  }));

  // Paused: data waits.
  l.run_and_wait([&] { l.set_events(id, 0); });
  const int before = calls;
  REQUIRE(::write(p[1], "d", 1) == 1);
  std::this_thread::sleep_for(100ms);
  CHECK(calls == before);
  l.run_and_wait([&] { l.set_events(id, POLLIN); });
  CHECK(eventually([&] {
    std::lock_guard lock(m);
    return got == "abcd";
  }));

  // Unwatching from inside the callback is safe; the fd may then be watched again.
  std::atomic<int> once{0};
  l.run_and_wait([&] {
    l.unwatch(id);
    auto w = l.watch(p[0], POLLIN, [&](short) {
      ++once;
      l.unwatch(id);
    });
    REQUIRE(w);
    id = *w;
  });
  REQUIRE(::write(p[1], "e", 1) == 1);
  CHECK(eventually([&] { return once >= 1; }));
  std::this_thread::sleep_for(50ms);
  CHECK(once == 1);
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("ssh_reactor: hooks run every round, stop drops pending work", "[ssh_reactor]") {
  auto r = ssh_reactor::start({1, "t"});
  REQUIRE(r);
  reactor_loop& l = (*r)->loop(0);
  std::atomic<int> rounds{0};
  reactor_loop::hook_id h = 0;
  l.run_and_wait([&] { h = l.add_after_poll([&] { ++rounds; }); });
  for (int i = 0; i < 5; ++i) l.run_and_wait([] {});
  CHECK(rounds >= 5);
  l.run_and_wait([&] { l.remove_after_poll(h); });
  const int now = rounds;
  for (int i = 0; i < 5; ++i) l.run_and_wait([] {});
  CHECK(rounds == now);

  (*r)->stop();
  CHECK_FALSE(l.post([] {}));
  CHECK_FALSE(l.run_and_wait([] {}));
  (*r)->stop();  // idempotent
}
