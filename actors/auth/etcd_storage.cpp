#include "actors/auth/etcd_storage.hpp"

#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "persistence/etcd_backend.hpp"
#include "transport/http_client.hpp"

namespace tp::actors::auth {
namespace {

class http_gateway final : public persistence::etcd_gateway {
 public:
  http_gateway(std::shared_ptr<transport::http_client> client, std::string name)
      : client_(std::move(client)), name_(std::move(name)) {}

  tp::result<std::string> call(std::string_view path, const std::string& body) override {
    auto r = client_->post(path, body);
    if (!r) return r.err();
    if (r->status == 200) return std::move(r->body);
    // etcd's gateway errors: {"error": "...", "message": "...", "code": N}.
    auto j = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    std::string why = j.is_object() ? j.value("message", j.value("error", std::string())) : "";
    if (why.empty()) why = r->body.substr(0, 200);
    std::string out = name_;
    out.append(" refused ").append(path).append(" (HTTP ");
    out.append(std::to_string(r->status)).append("): ").append(why);
    return make_error(std::move(out));
  }

  tp::status stream(std::string_view path, const std::string& body,
                    const std::function<bool(std::string_view)>& on_data,
                    const std::atomic<bool>& stop) override {
    return client_->stream(path, body, on_data, stop);
  }

  std::string name() const override { return name_; }

 private:
  std::shared_ptr<transport::http_client> client_;
  std::string name_;
};

}  // namespace

tp::result<std::unique_ptr<persistence::backend>> open_etcd_storage(
    const config::etcd_config& cfg, std::chrono::seconds patience,
    std::function<void(const std::string&)> on_skipped) {
  transport::http_client_options o;
  o.endpoints = cfg.peers;
  o.ca_file = cfg.tls_ca_file;
  o.cert_file = cfg.tls_cert_file;
  o.key_file = cfg.tls_key_file;
  o.insecure = cfg.insecure;
  o.what = "etcd";
  auto client = transport::http_client::create(o);
  if (!client) return make_error("storage (etcd): " + client.message());
  std::string name = "etcd at";
  for (const auto& p : cfg.peers) name.append(" ").append(p);
  auto gw = std::make_shared<http_gateway>(std::move(*client), name);
  persistence::etcd_options eo;
  eo.prefix = cfg.prefix;
  // Each damaged key is logged once (listings run every few seconds), up to a bound.
  if (on_skipped) {
    eo.on_skipped = std::move(on_skipped);
  } else {
    eo.on_skipped = [seen = std::make_shared<std::pair<std::mutex, std::set<std::string>>>()](
                        const std::string& why) {
      std::lock_guard<std::mutex> lock(seen->first);
      if (seen->second.size() >= 1000 || !seen->second.insert(why).second) return;
      spdlog::warn("storage: skipping a value in etcd: {}", why);
    };
  }
  const auto until = std::chrono::steady_clock::now() + patience;
  for (;;) {
    auto b = persistence::open_etcd_backend(gw, eo);
    if (b) return std::move(*b);
    // Only an etcd that does not answer may come later; refused certificates will not.
    const bool down = b.message().find(" unreachable") != std::string::npos;
    if (!down || std::chrono::steady_clock::now() >= until) {
      return make_error("storage (etcd): " + b.message());
    }
    spdlog::warn("storage: {}; retrying in 2 s", b.message());
    std::this_thread::sleep_for(std::chrono::seconds{2});
  }
}

}  // namespace tp::actors::auth
