// Prints throughput figures for the storage backends side by side: LMDB (in a
// temporary directory it removes afterwards), etcd (a real etcd it starts on loopback,
// tests/support/etcd_process) and DynamoDB (dynalite on loopback,
// tests/support/dynalite_process), with each figure's ratio to LMDB's. Not a test:
// nothing is asserted.
//   bench_backend [--quick] [--backend lmdb|etcd|dynamodb|all]
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "actors/auth/dynamodb_storage.hpp"
#include "actors/auth/etcd_storage.hpp"
#include "persistence/lmdb_backend.hpp"
#include "tests/support/dynalite_process.hpp"
#include "tests/support/etcd_process.hpp"

namespace {

using namespace tp::persistence;
using steady = std::chrono::steady_clock;

struct plan {
  int nodes = 50000;          // keys written in batches, then read back
  int batch = 1000;           // items per batch transaction (etcd takes 128 at most)
  double read_seconds = 2.0;  // per get phase
  double put_seconds = 4.0;   // durable single puts, time box
  int max_single_puts = 20000;
  int range_rounds = 5;
  int watch_rounds = 100;
};

// One backend's figures, printed side by side at the end.
struct figures {
  std::string name;
  double batched_puts = 0, range_ms = 0, gets_1 = 0, gets_2 = 0, puts = 0;
  double watch_p50_ms = 0, watch_p99_ms = 0;
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
bool bench_gets(backend& b, const plan& p, int threads, double& rate) {
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
  rate = total / secs;
  std::printf("gets/s (%d thread%s):          %12.0f   (%ld gets, %ld errors)\n", threads,
              threads == 1 ? "" : "s", rate, total.load(), errors.load());
  return errors == 0;
}

// Put-to-event latency of a watch: how long another auth server takes to see a
// change (nodes, CA rotations). One put at a time, each waiting for its event.
bool bench_watch(backend& b, const plan& p, figures& f) {
  std::mutex mu;
  std::condition_variable seen_cv;
  std::string seen;
  auto w = b.watch("/watched", [&](const event& e) {
    std::lock_guard lock(mu);
    seen = e.item.key;
    seen_cv.notify_all();
  });
  if (!w) return fail("watch", w.err());
  std::vector<double> ms;
  for (int i = 0; i < p.watch_rounds; ++i) {
    const std::string key = "/watched/k" + std::to_string(i);
    const auto t0 = steady::now();
    if (auto r = b.put(key, "v"); !r) return fail("put", r.err());
    std::unique_lock lock(mu);
    if (!seen_cv.wait_for(lock, std::chrono::seconds{10}, [&] { return seen == key; })) {
      std::fprintf(stderr, "bench_backend: no watch event for %s within 10 s\n", key.c_str());
      return false;
    }
    ms.push_back(seconds_since(t0) * 1e3);
  }
  std::sort(ms.begin(), ms.end());
  f.watch_p50_ms = ms[ms.size() / 2];
  f.watch_p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  std::printf("watch put-to-event latency:  p50 %.2f ms, p99 %.2f ms (%d puts)\n", f.watch_p50_ms,
              f.watch_p99_ms, p.watch_rounds);
  return true;
}

bool run(backend& b, const plan& p, figures& f) {
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
  f.batched_puts = p.nodes / secs;
  std::printf("batched puts/s (batch %d):   %12.0f   (%d items in %.3f s)\n", p.batch,
              f.batched_puts, p.nodes, secs);

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
  f.range_ms = best * 1e3;
  std::printf("range of %d keys:          %9.1f ms best, %.1f ms mean (%d rounds)\n", p.nodes,
              best * 1e3, sum / p.range_rounds * 1e3, p.range_rounds);

  if (!bench_gets(b, p, 1, f.gets_1)) return false;
  if (!bench_gets(b, p, 2, f.gets_2)) return false;

  // Durable single puts: each its own fsynced transaction.
  start = steady::now();
  int n = 0;
  for (; n < p.max_single_puts && seconds_since(start) < p.put_seconds; ++n) {
    if (auto r = b.put(node_key(n % p.nodes), node_value(n)); !r) return fail("put", r.err());
  }
  secs = seconds_since(start);
  f.puts = n / secs;
  std::printf("durable puts/s (1 per txn):  %12.0f   (%d puts, %.3f ms each)\n", f.puts, n,
              secs / n * 1e3);
  return bench_watch(b, p, f);
}

// The networked backends get a smaller load: the same phases, fewer keys.
plan networked(plan p, int batch_limit) {
  p.nodes = std::min(p.nodes, 5000);
  p.batch = std::min(p.batch, batch_limit);
  p.max_single_puts = std::min(p.max_single_puts, 3000);
  return p;
}

void print_table(const std::vector<figures>& all, const plan& p) {
  std::printf("\nside by side (ratio to LMDB; the networked backends ran %d keys):\n",
              networked(p, 128).nodes);
  std::printf("%-10s %16s %16s %16s %16s %16s %18s\n", "backend", "batched puts/s", "range ms",
              "gets/s 1 thr", "gets/s 2 thr", "durable puts/s", "watch p50/p99 ms");
  const figures* base = all.empty() || all[0].name != "lmdb" ? nullptr : &all[0];
  for (const auto& f : all) {
    auto cell = [&](double v, double b) {
      char buf[40];
      if (base && &f != base && b > 0) {
        std::snprintf(buf, sizeof buf, "%.0f (%.3fx)", v, v / b);
      } else {
        std::snprintf(buf, sizeof buf, "%.0f", v);
      }
      return std::string(buf);
    };
    char range[40];
    if (base && &f != base && base->range_ms > 0) {
      std::snprintf(range, sizeof range, "%.1f (%.1fx)", f.range_ms, f.range_ms / base->range_ms);
    } else {
      std::snprintf(range, sizeof range, "%.1f", f.range_ms);
    }
    char watch[40];
    std::snprintf(watch, sizeof watch, "%.2f / %.2f", f.watch_p50_ms, f.watch_p99_ms);
    std::printf("%-10s %16s %16s %16s %16s %16s %18s\n", f.name.c_str(),
                cell(f.batched_puts, base ? base->batched_puts : 0).c_str(), range,
                cell(f.gets_1, base ? base->gets_1 : 0).c_str(),
                cell(f.gets_2, base ? base->gets_2 : 0).c_str(),
                cell(f.puts, base ? base->puts : 0).c_str(), watch);
  }
}

}  // namespace

int main(int argc, char** argv) {
  plan p;
  std::string which = "all";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
      p.nodes = 10000;
      p.read_seconds = 0.5;
      p.put_seconds = 1.0;
      p.range_rounds = 3;
      p.watch_rounds = 30;
    } else if (std::strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
      which = argv[++i];
      if (which != "lmdb" && which != "etcd" && which != "dynamodb" && which != "all") {
        std::fprintf(stderr, "bench_backend: --backend takes lmdb, etcd, dynamodb or all\n");
        return 2;
      }
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: %s [--quick] [--backend lmdb|etcd|dynamodb|all]\n", argv[0]);
      return 0;
    } else {
      std::fprintf(stderr, "bench_backend: unknown argument \"%s\" (try --help)\n", argv[i]);
      return 2;
    }
  }
  const auto wants = [&](const char* name) { return which == "all" || which == name; };
  std::vector<figures> all;
  bool ok = true;
  if (wants("lmdb")) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tp-bench-backend-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("bench_backend: mkdtemp");
      return 1;
    }
    const std::filesystem::path dir = pattern;
    std::printf("LMDB backend in %s (%s)\n", dir.c_str(), quick ? "quick" : "full");
    auto opened = open_lmdb_backend(dir / "backend");
    figures f{"lmdb"};
    ok = opened ? run(**opened, p, f) : fail("open", opened.err());
    if (ok) all.push_back(f);
    if (opened) opened->reset();  // closed before its directory goes
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  if (ok && wants("etcd")) {
    std::string why;
    auto etcd = tp::test::etcd_process::start(why);
    if (!etcd) {
      std::fprintf(stderr, "bench_backend: etcd: %s\n", why.c_str());
      return 1;
    }
    tp::config::etcd_config c;
    c.peers = {etcd->url()};
    c.tls_ca_file = etcd->client().ca;
    c.tls_cert_file = etcd->client().cert;
    c.tls_key_file = etcd->client().key;
    c.prefix = "/bench";
    std::printf("\netcd backend at %s (a real etcd on loopback, client-certificate TLS)\n",
                etcd->url().c_str());
    auto opened = tp::actors::auth::open_etcd_storage(c, std::chrono::seconds{0});
    figures f{"etcd"};
    ok = opened ? run(**opened, networked(p, 128), f) : fail("open", opened.err());
    if (ok) all.push_back(f);
  }
  if (ok && wants("dynamodb")) {
    std::string why;
    const tp::test::dynalite_process::key key{"AKIDBENCH", "bench-secret", false};
    auto dyn = tp::test::dynalite_process::start({key}, why);
    if (!dyn) {
      std::fprintf(stderr, "bench_backend: dynalite: %s\n", why.c_str());
      return 1;
    }
    tp::config::dynamodb_config c;
    c.region = "us-east-1";
    c.table_name = "bench.state";
    c.access_key = key.access_key;
    c.secret_key = key.secret_key;
    c.endpoint = dyn->url();
    std::printf("\nDynamoDB backend at %s (dynalite on loopback, SigV4 checked)\n",
                dyn->url().c_str());
    auto opened = tp::actors::auth::open_dynamodb_storage(c);
    figures f{"dynamodb"};
    ok = opened ? run(**opened, networked(p, 1000), f) : fail("open", opened.err());
    if (ok) all.push_back(f);
  }
  if (all.size() > 1) print_table(all, p);
  return ok ? 0 : 1;
}
