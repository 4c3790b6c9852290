#include "actors/metrics/timed_backend.hpp"

#include <chrono>
#include <type_traits>

#include "actors/metrics/registry.hpp"

namespace tp::actors::metrics {
namespace {

using namespace tp::persistence;

class timed_backend final : public backend {
 public:
  timed_backend(std::shared_ptr<backend> inner, const std::string& name)
      : inner_(std::move(inner)) {
    for (std::size_t i = 0; i < op_count; ++i) {
      const labels lbl{{"backend", name}, {"op", op_names[i]}};
      latency_[i] = &global().get_histogram("teleport_backend_op_seconds",
                                            "Storage backend operation latency, s.", lbl);
      failures_[i] = &global().get_counter("teleport_backend_failures_total",
                                           "Storage backend operations the store failed.", lbl);
    }
  }

  db_result<item> get(std::string_view key) override {
    return run(op_get, [&] { return inner_->get(key); });
  }
  db_result<std::uint64_t> put(std::string_view key, std::string_view value, ttl_ms ttl) override {
    return run(op_put, [&] { return inner_->put(key, value, ttl); });
  }
  db_result<std::uint64_t> create(std::string_view key, std::string_view value,
                                  ttl_ms ttl) override {
    return run(op_create, [&] { return inner_->create(key, value, ttl); });
  }
  db_result<std::uint64_t> compare_and_swap(std::string_view key, std::string_view expected,
                                            std::string_view value, ttl_ms ttl) override {
    return run(op_cas, [&] { return inner_->compare_and_swap(key, expected, value, ttl); });
  }
  db_status remove(std::string_view key) override {
    return run(op_remove, [&] { return inner_->remove(key); });
  }
  db_result<std::vector<item>> get_range(std::string_view prefix, std::size_t limit) override {
    return run(op_range, [&] { return inner_->get_range(prefix, limit); });
  }
  db_result<std::size_t> remove_range(std::string_view prefix) override {
    return run(op_remove_range, [&] { return inner_->remove_range(prefix); });
  }
  db_status put_batch(const std::vector<item>& items) override {
    return run(op_batch, [&] { return inner_->put_batch(items); });
  }
  db_result<watch_handle> watch(std::string_view prefix, watch_callback callback) override {
    return inner_->watch(prefix, std::move(callback));  // long-lived, not an operation
  }

 private:
  enum op : std::size_t {
    op_get,
    op_put,
    op_create,
    op_cas,
    op_remove,
    op_range,
    op_remove_range,
    op_batch,
    op_count
  };
  static constexpr const char* op_names[op_count] = {"get",    "put",   "create",       "cas",
                                                     "remove", "range", "remove_range", "batch"};

  template <class F>
  std::invoke_result_t<F> run(op o, F f) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = f();
    latency_[o]->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (r.is(error_kind::io) || r.is(error_kind::bad_parameter)) failures_[o]->inc();
    return r;
  }

  std::shared_ptr<backend> inner_;
  histogram* latency_[op_count] = {};
  counter* failures_[op_count] = {};
};

}  // namespace

std::shared_ptr<persistence::backend> timed(std::shared_ptr<persistence::backend> inner,
                                            const std::string& backend_name) {
  return std::make_shared<timed_backend>(std::move(inner), backend_name);
}

}  // namespace tp::actors::metrics
