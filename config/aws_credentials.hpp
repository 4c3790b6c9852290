// Where the DynamoDB backend's AWS credentials come from, in the order the AWS tools
// use: storage.access_key/secret_key in teleport.yaml, then AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN), then the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials; profile AWS_PROFILE, else
// "default").
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::config {

struct aws_keys {
  std::string access_key;
  std::string secret_key;
  std::string session_token{};
  std::string source{};  // "teleport.yaml", "environment", "/root/.aws/credentials [default]"
};

// The profile's keys from the text of a shared credentials file (INI); nullopt if the
// profile is absent; an error naming the line for a malformed file or a profile with
// only one of the two keys.
tp::result<std::optional<aws_keys>> parse_aws_credentials_file(std::string_view text,
                                                               std::string_view profile);

// getenv is injected for tests.
tp::result<aws_keys> resolve_aws_keys(
    std::string_view config_access_key, std::string_view config_secret_key,
    const std::function<std::optional<std::string>(const char*)>& getenv);

}  // namespace tp::config
