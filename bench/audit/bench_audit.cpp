// Prints figures for the audit log; not a test (nothing is asserted).
//
// Events per second appended durably (each acknowledged only once fdatasync'ed)
// with 1, 16 and 256 concurrent senders, each sending one event per request and
// waiting for its acknowledgement, as a host's auth link does:
//   batched  - the audit_log actor (one fsync for every request that arrived
//              while the previous batch was written);
//   per-request - the same store with one commit (fsync) per request, the
//              previous design, measured in the same run as the baseline.
//
//   bench_audit [--quick] [--dir DIR]   (DIR: where to write; default /tmp)
#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actors/audit/audit_log.hpp"
#include "actors/audit/audit_store.hpp"
#include "messages/type_ids.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tp;
using namespace tp::messages;
using steady = std::chrono::steady_clock;

const caller k_node{"bench-node", {"node"}, "127.0.0.1"};

api_request one_event(int sender, long n) {
  return api_request{
      audit_event_request{{R"({"event":"exec","command":"bench","sender":)" +
                           std::to_string(sender) + R"(,"n":)" + std::to_string(n) + "}"}}};
}

// Runs `senders` threads for `seconds`; each calls `send(sender, n)` in a loop
// (it returns once the event is durable). Returns events per second.
template <class Send>
double run(int senders, double seconds, Send send) {
  std::atomic<long> total{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto start = steady::now();
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!send(s, n++)) break;
        total.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
  return static_cast<double>(total.load()) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string base = "/tmp";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      base = argv[++i];
    } else {
      std::fprintf(stderr, "usage: bench_audit [--quick] [--dir DIR]\n");
      return 2;
    }
  }
  const double seconds = quick ? 1.5 : 5.0;
  const fs::path root = fs::path(base) / ("tp-bench-audit-" + std::to_string(::getpid()));

  caf::actor_system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  add_message_types(cfg);
  caf::actor_system sys{cfg};

  std::printf("durable audit appends (one event per request, acknowledged after fdatasync), %s\n",
              root.c_str());
  std::printf("%-8s %14s %14s %8s\n", "senders", "batched ev/s", "per-request", "ratio");
  int run_no = 0;
  for (int senders : {1, 16, 256}) {
    // Batched: the audit_log actor.
    auto store = std::make_shared<actors::audit_store>((root / std::to_string(run_no++)).string());
    auto log = actors::spawn_audit_log(sys, store);
    std::vector<std::unique_ptr<caf::scoped_actor>> clients;
    for (int s = 0; s < senders; ++s) clients.push_back(std::make_unique<caf::scoped_actor>(sys));
    const double batched = run(senders, seconds, [&](int s, long n) {
      auto& self = *clients[static_cast<std::size_t>(s)];
      bool ok = false;
      self->request(log, std::chrono::seconds{30}, k_node, one_event(s, n))
          .receive([&](api_reply& r) { ok = std::holds_alternative<ok_reply>(r); },
                   [&](caf::error&) {});
      return ok;
    });
    caf::anon_send_exit(log, caf::exit_reason::user_shutdown);
    clients.clear();

    // Per request: the same store, one commit each, serialized.
    actors::audit_store single((root / std::to_string(run_no++)).string());
    std::mutex mu;
    const double per_request = run(senders, seconds, [&](int s, long n) {
      auto req = one_event(s, n);
      std::lock_guard<std::mutex> lock(mu);
      auto r = single.stage(k_node, req, std::chrono::system_clock::now());
      return std::holds_alternative<ok_reply>(r) && static_cast<bool>(single.commit());
    });
    std::printf("%-8d %14.0f %14.0f %7.1fx\n", senders, batched, per_request,
                per_request > 0 ? batched / per_request : 0.0);
    std::fflush(stdout);
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
