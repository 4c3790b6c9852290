#include "actors/metrics/registry.hpp"

#include <cmath>
#include <sstream>

namespace tp::actors::metrics {
namespace {

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream out;
  out.precision(15);
  out << v;
  return out.str();
}

std::string format_labels(const labels& lbl, const std::string& extra_key = {},
                          const std::string& extra_value = {}) {
  if (lbl.empty() && extra_key.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : lbl) {
    out += (first ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
    first = false;
  }
  if (!extra_key.empty()) out += (first ? "" : ",") + extra_key + "=\"" + extra_value + "\"";
  return out + "}";
}

std::string escape_help(const std::string& h) {
  std::string out;
  for (char c : h) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  const double micro = v * 1e6;
  sum_micro_.fetch_add(micro > 0 ? static_cast<std::uint64_t>(micro) : 0,
                       std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
}

counter& registry::get_counter(const std::string& name, const std::string& help, labels lbl) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  f.k = kind::counter;
  if (f.help.empty()) f.help = help;
  auto& c = f.counters[lbl];
  if (!c) c = std::make_unique<counter>();
  return *c;
}

histogram& registry::get_histogram(const std::string& name, const std::string& help, labels lbl,
                                   std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  f.k = kind::histogram;
  if (f.help.empty()) f.help = help;
  auto& h = f.histograms[lbl];
  if (!h) h = std::make_unique<histogram>(std::move(bounds));
  return *h;
}

std::uint64_t registry::add_gauge(const std::string& name, const std::string& help,
                                  std::function<std::vector<sample>()> read) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  f.k = kind::gauge;
  if (f.help.empty()) f.help = help;
  const auto id = next_id_++;
  f.gauges[id] = std::move(read);
  gauge_names_[id] = name;
  return id;
}

void registry::remove_gauge(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = gauge_names_.find(id);
  if (it == gauge_names_.end()) return;
  auto f = families_.find(it->second);
  if (f != families_.end()) {
    f->second.gauges.erase(id);
    if (f->second.gauges.empty() && f->second.k == kind::gauge) families_.erase(f);
  }
  gauge_names_.erase(it);
}

std::string registry::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    const char* type = f.k == kind::counter     ? "counter"
                       : f.k == kind::histogram ? "histogram"
                                                : "gauge";
    std::string body;
    for (const auto& [lbl, c] : f.counters) {
      body += name + format_labels(lbl) + " " + std::to_string(c->value()) + "\n";
    }
    for (const auto& [lbl, h] : f.histograms) {
      const auto s = h->read();
      for (std::size_t i = 0; i < s.bounds.size(); ++i) {
        body += name + "_bucket" + format_labels(lbl, "le", format_value(s.bounds[i])) + " " +
                std::to_string(s.cumulative[i]) + "\n";
      }
      body += name + "_bucket" + format_labels(lbl, "le", "+Inf") + " " + std::to_string(s.count) +
              "\n";
      body += name + "_sum" + format_labels(lbl) + " " + format_value(s.sum) + "\n";
      body += name + "_count" + format_labels(lbl) + " " + std::to_string(s.count) + "\n";
    }
    // One sample per label set: a later reader of the same labels adds to it.
    std::map<labels, double> gauge_values;
    for (const auto& [id, read] : f.gauges) {
      for (const auto& s : read()) gauge_values[s.lbl] += s.value;
    }
    for (const auto& [lbl, v] : gauge_values) {
      body += name + format_labels(lbl) + " " + format_value(v) + "\n";
    }
    if (body.empty()) continue;
    out += "# HELP " + name + " " + escape_help(f.help) + "\n# TYPE " + name + " " + type + "\n" +
           body;
  }
  return out;
}

std::vector<sample> registry::read_gauge(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<sample> out;
  auto f = families_.find(name);
  if (f == families_.end()) return out;
  for (const auto& [id, read] : f->second.gauges) {
    for (auto& s : read()) out.push_back(std::move(s));
  }
  return out;
}

registry& global() {
  static registry r;
  return r;
}

}  // namespace tp::actors::metrics
