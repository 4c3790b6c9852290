#include "persistence/watch_hub.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "test_support.hpp"

using namespace tp::persistence;
using namespace std::chrono_literals;

namespace {

event put_event(const std::string& key, std::uint64_t rev = 1) {
  return event{event_type::put, item{key, "v", std::nullopt, rev}};
}

}  // namespace

TEST_CASE("hub delivers matching events in order and filters by prefix") {
  auto hub = watch_hub::make(100);
  test::event_log log;
  auto h = hub->subscribe("/a", log.callback());
  REQUIRE(h.ok());
  hub->publish({put_event("/a/1", 1), put_event("/b/1", 2), put_event("/ab", 3), put_event("/a", 4),
                put_event("/a/2", 5)});
  REQUIRE(log.wait_for_count(3));
  std::this_thread::sleep_for(50ms);  // nothing else may trickle in
  auto evs = log.events();
  REQUIRE(evs.size() == 3);
  CHECK(evs[0].item.key == "/a/1");
  CHECK(evs[1].item.key == "/a");
  CHECK(evs[2].item.key == "/a/2");
}

TEST_CASE("reset stops delivery and is safe after the hub is gone") {
  auto hub = watch_hub::make(100);
  test::event_log log;
  auto h = hub->subscribe("/", log.callback());
  REQUIRE(h.ok());
  CHECK(hub->watcher_count() == 1);
  h->reset();
  CHECK_FALSE(h->active());
  CHECK(hub->watcher_count() == 0);
  hub->publish({put_event("/x")});
  std::this_thread::sleep_for(50ms);
  CHECK(log.events().empty());

  auto h2 = hub->subscribe("/", log.callback());
  REQUIRE(h2.ok());
  hub.reset();  // closes and joins; the handle must still be safe to drop
  h2->reset();
}

TEST_CASE("a watcher that falls behind gets overflow and nothing more") {
  constexpr std::size_t capacity = 4;
  auto hub = watch_hub::make(capacity);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> entered{false};
  test::event_log log;
  auto record = log.callback();
  auto h = hub->subscribe("/", [&, released](const event& ev) {
    record(ev);
    entered = true;
    released.wait();
  });
  REQUIRE(h.ok());
  hub->publish({put_event("/first")});
  for (int i = 0; i < 200 && !entered; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(entered);
  // The callback is stuck in /first: capacity more fit, the next overflows.
  for (int i = 0; i < 10; ++i) hub->publish({put_event("/k" + std::to_string(i))});
  release.set_value();
  REQUIRE(log.wait_for_count(capacity + 2));
  std::this_thread::sleep_for(50ms);
  hub->publish({put_event("/after")});
  std::this_thread::sleep_for(50ms);
  auto evs = log.events();
  REQUIRE(evs.size() == capacity + 2);
  CHECK(evs.front().item.key == "/first");
  for (std::size_t i = 1; i <= capacity; ++i)
    CHECK(evs[i].item.key == "/k" + std::to_string(i - 1));
  CHECK(evs.back().type == event_type::overflow);
}

TEST_CASE("a callback may reset its own handle") {
  auto hub = watch_hub::make(10);
  std::atomic<int> calls{0};
  watch_handle self;
  std::promise<void> done;
  auto r = hub->subscribe("/", [&](const event&) {
    ++calls;
    self.reset();  // must not deadlock joining its own thread
    done.set_value();
  });
  REQUIRE(r.ok());
  self = std::move(*r);
  hub->publish({put_event("/1"), put_event("/2")});
  REQUIRE(done.get_future().wait_for(5s) == std::future_status::ready);
  std::this_thread::sleep_for(50ms);
  CHECK(calls == 1);
}

TEST_CASE("a throwing callback loses only that event") {
  auto hub = watch_hub::make(10);
  test::event_log log;
  auto record = log.callback();
  auto h = hub->subscribe("/", [&](const event& ev) {
    if (ev.item.key == "/bad") throw std::runtime_error("boom");
    record(ev);
  });
  REQUIRE(h.ok());
  hub->publish({put_event("/bad"), put_event("/good")});
  REQUIRE(log.wait_for_key("/good"));
  CHECK(log.events().size() == 1);
}

TEST_CASE("subscribe after close is an error") {
  auto hub = watch_hub::make(10);
  hub->close();
  auto h = hub->subscribe("/", [](const event&) {});
  REQUIRE_FALSE(h.ok());
  CHECK(h.kind() == error_kind::io);
}
