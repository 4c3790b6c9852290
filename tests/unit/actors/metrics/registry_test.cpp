#include "actors/metrics/registry.hpp"
#include "actors/metrics/timed_backend.hpp"
#include "tests/unit/actors/test_support.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace tp::actors::metrics;

TEST_CASE("metrics: the text exposition format", "[metrics]") {
  registry r;
  auto& ok = r.get_counter("tp_requests_total", "Requests.", {{"result", "ok"}});
  ok.inc(3);
  CHECK(&r.get_counter("tp_requests_total", "Requests.", {{"result", "ok"}}) == &ok);
  r.get_counter("tp_requests_total", "Requests.", {{"result", "a\"b\\c\nd"}}).inc();
  auto& h = r.get_histogram("tp_latency_seconds", "Latency.", {}, {0.01, 0.1});
  h.observe(0.005);
  h.observe(0.05);
  h.observe(5);
  const auto id = r.add_gauge("tp_open", "Open things.", [] {
    return std::vector<sample>{{{{"kind", "x"}}, 2}, {{{"kind", "x"}}, 1}, {{{"kind", "y"}}, 4}};
  });
  const std::string text = r.render();
  CHECK_THAT(text, Catch::Contains(
                       "# HELP tp_requests_total Requests.\n# TYPE tp_requests_total counter\n"));
  CHECK_THAT(text, Catch::Contains("tp_requests_total{result=\"ok\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("tp_requests_total{result=\"a\\\"b\\\\c\\nd\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE tp_latency_seconds histogram\n"));
  CHECK_THAT(text, Catch::Contains("tp_latency_seconds_bucket{le=\"0.01\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("tp_latency_seconds_bucket{le=\"0.1\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("tp_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("tp_latency_seconds_count 3\n"));
  CHECK_THAT(text, Catch::Contains("tp_latency_seconds_sum 5.055\n"));
  CHECK_THAT(text, Catch::Contains(
                       "# TYPE tp_open gauge\ntp_open{kind=\"x\"} 3\ntp_open{kind=\"y\"} 4\n"));
  r.remove_gauge(id);
  CHECK_THAT(r.render(), !Catch::Contains("tp_open"));
}

TEST_CASE("metrics: counters and histograms are safe from many threads", "[metrics]") {
  registry r;
  auto& c = r.get_counter("tp_c_total", "C.");
  auto& h = r.get_histogram("tp_h_seconds", "H.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.value() == 40000);
  CHECK(h.read().count == 40000);
}

TEST_CASE("metrics: a timed backend counts and times each operation", "[metrics]") {
  tp::test::temp_dir dir;
  auto db = timed(tp::test::open_db(dir), "lmdb-test");
  auto& puts = global().get_histogram("teleport_backend_op_seconds", "",
                                      {{"backend", "lmdb-test"}, {"op", "put"}});
  auto& gets = global().get_histogram("teleport_backend_op_seconds", "",
                                      {{"backend", "lmdb-test"}, {"op", "get"}});
  auto& get_failures = global().get_counter("teleport_backend_failures_total", "",
                                            {{"backend", "lmdb-test"}, {"op", "get"}});
  const auto puts0 = puts.read().count, gets0 = gets.read().count;
  REQUIRE(db->put("/a", "1"));
  REQUIRE(db->put("/b", "2"));
  REQUIRE(db->get("/a"));
  CHECK(db->get("/missing").is(tp::persistence::error_kind::not_found));
  CHECK(puts.read().count == puts0 + 2);
  CHECK(gets.read().count == gets0 + 2);
  CHECK(get_failures.value() == 0);  // not_found is an answer, not a failure
  CHECK_THAT(
      global().render(),
      Catch::Contains("teleport_backend_op_seconds_count{backend=\"lmdb-test\",op=\"put\"}"));
}
