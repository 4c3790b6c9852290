#include "actors/auth/dynamodb_storage.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <utility>

#include "config/aws_credentials.hpp"
#include "persistence/dynamodb_backend.hpp"
#include "transport/aws_sigv4.hpp"
#include "transport/http_client.hpp"

namespace tp::actors::auth {
namespace {

constexpr std::string_view target_prefix = "DynamoDB_20120810.";

class http_gateway final : public persistence::dynamodb_gateway {
 public:
  http_gateway(std::shared_ptr<transport::http_client> client, std::string name)
      : client_(std::move(client)), name_(std::move(name)) {}

  tp::result<reply> call(std::string_view operation, const std::string& body) override {
    std::string target(target_prefix);
    target.append(operation);
    auto r = client_->post("/", body, {{"X-Amz-Target", std::move(target)}});
    if (!r) return r.err();
    return reply{r->status, std::move(r->body)};
  }

  std::string name() const override { return name_; }

 private:
  std::shared_ptr<transport::http_client> client_;
  std::string name_;
};

std::function<void(const std::string&)> log_once(const char* what) {
  auto seen = std::make_shared<std::pair<std::mutex, std::set<std::string>>>();
  return [seen, what](const std::string& text) {
    std::lock_guard<std::mutex> lock(seen->first);
    if (seen->second.size() >= 1000 || !seen->second.insert(text).second) return;
    spdlog::warn("storage: {}: {}", what, text);
  };
}

}  // namespace

tp::result<std::shared_ptr<persistence::dynamodb_gateway>> make_dynamodb_gateway(
    const config::dynamodb_config& cfg, getenv_fn getenv) {
  if (!getenv) {
    getenv = [](const char* name) -> std::optional<std::string> {
      const char* v = std::getenv(name);
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
  }
  auto keys = config::resolve_aws_keys(cfg.access_key, cfg.secret_key, getenv);
  if (!keys) return make_error("storage (dynamodb): " + keys.message());
  spdlog::info("storage: DynamoDB table {} in {}, credentials from {}", cfg.table_name, cfg.region,
               keys->source);

  transport::http_client_options o;
  o.endpoints = {cfg.endpoint.empty() ? "https://dynamodb." + cfg.region + ".amazonaws.com"
                                      : cfg.endpoint};
  o.what = "DynamoDB";
  o.content_type = "application/x-amz-json-1.0";
  o.timeout = std::chrono::milliseconds{10000};
  const transport::aws_credentials creds{keys->access_key, keys->secret_key, keys->session_token};
  const transport::sigv4_scope scope{cfg.region, "dynamodb"};
  o.sign = [creds, scope, content_type = o.content_type](
               std::string_view authority, std::string_view target,
               const transport::http_headers& extra, std::string_view body) {
    transport::sigv4_request r;
    r.method = "POST";
    r.path = std::string(target);
    r.headers = {{"host", std::string(authority)}, {"content-type", content_type}};
    for (const auto& h : extra) r.headers.push_back(h);
    r.payload = std::string(body);
    const auto before = r.headers.size();
    transport::sigv4_sign(r, creds, scope, std::chrono::system_clock::now());
    // Only what signing added: the rest is already on the request.
    return transport::http_headers(r.headers.begin() + static_cast<std::ptrdiff_t>(before),
                                   r.headers.end());
  };
  auto client = transport::http_client::create(o);
  if (!client) return make_error("storage (dynamodb): " + client.message());
  return std::shared_ptr<persistence::dynamodb_gateway>(
      std::make_shared<http_gateway>(std::move(*client), "DynamoDB at " + o.endpoints[0]));
}

tp::result<std::unique_ptr<persistence::backend>> open_dynamodb_storage(
    const config::dynamodb_config& cfg, getenv_fn getenv,
    std::function<void(const std::string&)> on_skipped) {
  auto gw = make_dynamodb_gateway(cfg, std::move(getenv));
  if (!gw) return gw.err();
  persistence::dynamodb_options d;
  d.table_name = cfg.table_name;
  d.on_skipped = on_skipped ? std::move(on_skipped) : log_once("skipping an item in DynamoDB");
  d.on_notice = [](const std::string& what) { spdlog::info("storage: {}", what); };
  auto b = persistence::open_dynamodb_backend(std::move(*gw), d);
  if (!b) return make_error("storage (dynamodb): " + b.message());
  return std::move(*b);
}

}  // namespace tp::actors::auth
