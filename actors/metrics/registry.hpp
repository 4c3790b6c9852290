// The process's metrics, served as Prometheus text (`teleport start --diag-addr`).
// Counters and histograms are lock-free to update from any thread (reactor,
// actor, pool); gauges are sampled by callbacks when scraped, so nothing keeps
// them current in between. Debian 12 packages no Prometheus client library for
// C++, so this writes the text exposition format (version 0.0.4) itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tp::actors::metrics {

using labels = std::map<std::string, std::string>;

class counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Cumulative buckets by upper bound (seconds for latencies), plus sum and count.
class histogram {
 public:
  explicit histogram(std::vector<double> bounds);
  void observe(double v);
  struct snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf last
    double sum = 0;
    std::uint64_t count = 0;
  };
  snapshot read() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
  std::atomic<std::uint64_t> sum_micro_{0};               // sum in millionths
};

// Latencies from 0.1 ms to 10 s.
std::vector<double> latency_buckets();

struct sample {
  labels lbl;
  double value = 0;
};

class registry {
 public:
  // The same name and labels give the same object (stable for the process's life).
  counter& get_counter(const std::string& name, const std::string& help, labels lbl = {});
  histogram& get_histogram(const std::string& name, const std::string& help, labels lbl = {},
                           std::vector<double> bounds = latency_buckets());
  // A gauge family sampled at each scrape; the id removes it (before what it reads dies).
  std::uint64_t add_gauge(const std::string& name, const std::string& help,
                          std::function<std::vector<sample>()> read);
  void remove_gauge(std::uint64_t id);

  // Every sample of a gauge family now (the daemon counts open connections so).
  std::vector<sample> read_gauge(const std::string& name) const;

  // The text exposition format, families sorted by name.
  std::string render() const;

 private:
  enum class kind { counter, histogram, gauge };
  struct family {
    kind k = kind::counter;
    std::string help;
    std::map<labels, std::unique_ptr<counter>> counters;
    std::map<labels, std::unique_ptr<histogram>> histograms;
    std::map<std::uint64_t, std::function<std::vector<sample>()>> gauges;
  };
  mutable std::mutex mu_;
  std::map<std::string, family> families_;
  std::map<std::uint64_t, std::string> gauge_names_;
  std::uint64_t next_id_ = 1;
};

// The process-wide registry.
registry& global();

// Label values escaped for the text format (backslash, quote, newline).
std::string escape_label(const std::string& v);

}  // namespace tp::actors::metrics
