// Prints throughput figures for the LMDB backend, in a temporary directory it
// removes afterwards. Not a test: nothing is asserted.
//   bench_backend [--quick]
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "persistence/lmdb_backend.hpp"

namespace {

using namespace tp::persistence;
using steady = std::chrono::steady_clock;

struct plan {
  int nodes = 50000;          // keys written in batches, then read back
  int batch = 1000;           // items per batch transaction
  double read_seconds = 2.0;  // per get phase
  double put_seconds = 4.0;   // durable single puts, time box
  int max_single_puts = 20000;
  int range_rounds = 5;
};

double seconds_since(steady::time_point t) {
  return std::chrono::duration<double>(steady::now() - t).count();
}

std::string node_key(int i) {
  return "/nodes/default/node-" + std::to_string(100000 + i);
}

// About the size of a node resource (labels, address, version) in JSON.
std::string node_value(int i) {
  std::string v = R"({"kind":"node","version":"v2","metadata":{"name":"node-)" + std::to_string(i) +
                  R"(","labels":{"env":"prod","role":"db"}},)";
  v += R"("spec":{"addr":"10.0.)" + std::to_string(i / 250) + "." + std::to_string(i % 250) +
       R"(:3022","hostname":"host-)" + std::to_string(i) + R"(","cmd_labels":{}}})";
  v.resize(300, ' ');
  return v;
}

bool fail(const char* what, const tp::error& e) {
  std::fprintf(stderr, "bench_backend: %s: %s\n", what, e.message.c_str());
  return false;
}

// Random gets over the node keys from `threads` threads for `secs` seconds.
bool bench_gets(backend& b, const plan& p, int threads) {
  std::atomic<bool> stop{false};
  std::atomic<long> total{0}, errors{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      std::uniform_int_distribution<int> pick(0, p.nodes - 1);
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!b.get(node_key(pick(rng))).ok()) ++errors;
        ++n;
      }
      total += n;
    });
  }
  auto start = steady::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(p.read_seconds));
  stop = true;
  for (auto& t : pool) t.join();
  double secs = seconds_since(start);
  std::printf("gets/s (%d thread%s):          %12.0f   (%ld gets, %ld errors)\n", threads,
              threads == 1 ? "" : "s", total / secs, total.load(), errors.load());
  return errors == 0;
}

bool run(const std::filesystem::path& dir, const plan& p) {
  auto opened = open_lmdb_backend(dir / "backend");
  if (!opened) return fail("open", opened.err());
  auto& b = **opened;

  // Batched puts: the initial load of every node.
  auto start = steady::now();
  for (int first = 0; first < p.nodes; first += p.batch) {
    std::vector<item> items;
    for (int i = first; i < std::min(p.nodes, first + p.batch); ++i) {
      items.push_back({node_key(i), node_value(i), std::nullopt, 0});
    }
    if (auto s = b.put_batch(items); !s) return fail("put_batch", s.err());
  }
  double secs = seconds_since(start);
  std::printf("batched puts/s (batch %d):   %12.0f   (%d items in %.3f s)\n", p.batch,
              p.nodes / secs, p.nodes, secs);

  // Range: read back every node, as a cache warm-up would.
  double best = 1e9, sum = 0;
  for (int r = 0; r < p.range_rounds; ++r) {
    start = steady::now();
    auto all = b.get_range("/nodes/default");
    secs = seconds_since(start);
    if (!all) return fail("get_range", all.err());
    if (static_cast<int>(all->size()) != p.nodes) {
      std::fprintf(stderr, "bench_backend: range returned %zu items, expected %d\n", all->size(),
                   p.nodes);
      return false;
    }
    best = std::min(best, secs);
    sum += secs;
  }
  std::printf("range of %d keys:          %9.1f ms best, %.1f ms mean (%d rounds)\n", p.nodes,
              best * 1e3, sum / p.range_rounds * 1e3, p.range_rounds);

  if (!bench_gets(b, p, 1)) return false;
  if (!bench_gets(b, p, 2)) return false;

  // Durable single puts: each its own fsynced transaction.
  start = steady::now();
  int n = 0;
  for (; n < p.max_single_puts && seconds_since(start) < p.put_seconds; ++n) {
    if (auto r = b.put(node_key(n % p.nodes), node_value(n)); !r) return fail("put", r.err());
  }
  secs = seconds_since(start);
  std::printf("durable puts/s (1 per txn):  %12.0f   (%d puts, %.3f ms each)\n", n / secs, n,
              secs / n * 1e3);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  plan p;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      p.nodes = 10000;
      p.read_seconds = 0.5;
      p.put_seconds = 1.0;
      p.range_rounds = 3;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: %s [--quick]\n", argv[0]);
      return 0;
    } else {
      std::fprintf(stderr, "bench_backend: unknown argument \"%s\" (try --help)\n", argv[i]);
      return 2;
    }
  }
  std::string pattern =
      (std::filesystem::temp_directory_path() / "tp-bench-backend-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("bench_backend: mkdtemp");
    return 1;
  }
  const std::filesystem::path dir = pattern;
  std::printf("LMDB backend benchmark in %s (%s)\n", dir.c_str(), argc > 1 ? "quick" : "full");
  bool ok = run(dir, p);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return ok ? 0 : 1;
}
