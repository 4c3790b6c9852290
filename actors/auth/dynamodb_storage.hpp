// storage.type: dynamodb — the persistence layer's DynamoDB backend on transport's
// HTTP client, each request signed with AWS Signature Version 4.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "messages/result.hpp"
#include "persistence/backend.hpp"

namespace tp::persistence {
class dynamodb_gateway;
}

namespace tp::actors::auth {

using getenv_fn = std::function<std::optional<std::string>(const char*)>;

// The signed HTTP client the backend talks through (also for tests' raw requests).
tp::result<std::shared_ptr<persistence::dynamodb_gateway>> make_dynamodb_gateway(
    const config::dynamodb_config& cfg, getenv_fn getenv = nullptr);

// Credentials: config/aws_credentials.hpp (getenv injectable for tests). The endpoint
// is storage.endpoint, else https://dynamodb.<region>.amazonaws.com. Values listings
// skip go to on_skipped, else to the log once per key.
tp::result<std::unique_ptr<persistence::backend>> open_dynamodb_storage(
    const config::dynamodb_config& cfg, getenv_fn getenv = nullptr,
    std::function<void(const std::string&)> on_skipped = nullptr);

}  // namespace tp::actors::auth
