#include "bench/scale/node_join.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "actors/client/auth_client.hpp"
#include "bench/common/processes.hpp"

namespace tp::bench {

joined_node simulated_node(std::size_t index, std::size_t source_addresses) {
  joined_node n;
  char buf[64];
  // UUID-shaped, with the index readable at the end.
  std::snprintf(buf, sizeof buf, "5ca1ab1e-0000-4000-8000-%012zu", index);
  n.host_id = buf;
  std::snprintf(buf, sizeof buf, "sim-%05zu", index);
  n.nodename = buf;
  std::snprintf(buf, sizeof buf, "127.0.0.%zu", 2 + index % source_addresses);
  n.source_ip = buf;
  return n;
}

join_outcome join_nodes(const join_target& target, const actors::join_keys& keys, std::size_t first,
                        std::size_t count, std::size_t source_addresses, unsigned threads) {
  join_outcome out;
  std::vector<joined_node> slots(count);
  std::vector<char> ok(count, 0);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> failed{0};
  std::mutex mu;
  std::string first_error;

  transport::server_trust trust;
  trust.ca_pin = target.ca_pin;
  const auto start = steady::now();
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      joined_node n = simulated_node(first + i, source_addresses);
      auto req = actors::make_join_request(keys, target.token, "node", n.host_id, n.nodename,
                                           {n.source_ip});
      std::string problem;
      if (!req) {
        problem = req.message();
      } else if (auto c = actors::auth_client::connect(target.host, target.port, trust); !c) {
        problem = c.message();
      } else if (auto reply = (*c)->call_as(std::move(*req), std::chrono::seconds{30}); !reply) {
        problem = reply.message();
      } else if (reply->host_id != n.host_id || reply->role != "node") {
        problem = "the auth server answered with an identity for another host";
      } else {
        n.tls_cert_pem = std::move(reply->tls_cert_pem);
        slots[i] = std::move(n);
        ok[i] = 1;
        continue;
      }
      ++failed;
      std::lock_guard<std::mutex> lock(mu);
      if (first_error.empty()) first_error = problem;
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, threads); ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  out.seconds = seconds_since(start);
  out.failed = failed.load();
  out.first_error = std::move(first_error);
  out.nodes.reserve(count - out.failed);
  for (std::size_t i = 0; i < count; ++i) {
    if (ok[i]) out.nodes.push_back(std::move(slots[i]));
  }
  return out;
}

}  // namespace tp::bench
