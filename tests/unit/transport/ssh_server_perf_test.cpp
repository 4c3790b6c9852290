// Rough numbers, not a test (hidden: run with "[perf]"): login+exec latency of
// `ssh ... true` and the throughput of 1 GiB through the server with
// aes128-gcm@openssh.com, both directions.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>

#include "ssh_server_test_support.hpp"

using namespace tp::transport;
using namespace tp::transport::test;

namespace {

std::string shell_quote(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + quote(a);
  return s;
}

}  // namespace

TEST_CASE("ssh server: performance", "[.][perf]") {
  test_server t;
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto r = t.ssh("true");
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    REQUIRE(r.exit_code == 0);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("ssh true: median %.1f ms (min %.1f, max %.1f) over %zu runs\n", (ms[9] + ms[10]) / 2,
              ms.front(), ms.back(), ms.size());

  const std::vector<std::string> cipher = {"-c", "aes128-gcm@openssh.com"};
  struct dir {
    const char* name;
    std::string pipeline;
  };
  const dir dirs[] = {
      {"upload (client stdin -> cat > /dev/null)",
       "head -c 1073741824 /dev/zero | " +
           shell_quote(t.ssh_args(t.user, cipher, "cat > /dev/null"))},
      {"download (head -c 1G /dev/zero -> client stdout)",
       shell_quote(t.ssh_args(t.user, cipher, "head -c 1073741824 /dev/zero")) + " > /dev/null"},
  };
  for (const auto& d : dirs) {
    proc_options o;
    o.timeout_seconds = 300;
    const auto start = std::chrono::steady_clock::now();
    auto r = run_process({"/bin/sh", "-c", d.pipeline}, o);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::printf("1 GiB %s: %.2f s, %.0f MB/s\n", d.name, s, 1073.741824 / s);
  }
}
