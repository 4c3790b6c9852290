#include "config/aws_credentials.hpp"

#include <filesystem>
#include <system_error>

#include "config/read_file.hpp"

namespace tp::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

tp::result<std::optional<aws_keys>> parse_aws_credentials_file(std::string_view text,
                                                               std::string_view profile) {
  std::optional<aws_keys> found;
  bool in_profile = false;
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return make_error("line " + std::to_string(line_no) +
                          ": a section header must end with ']'");
      }
      in_profile = trim(line.substr(1, line.size() - 2)) == profile;
      if (in_profile && !found) found.emplace();
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return make_error("line " + std::to_string(line_no) + ": expected name = value");
    }
    if (!in_profile) continue;
    const auto name = trim(line.substr(0, eq));
    const std::string value(trim(line.substr(eq + 1)));
    if (name == "aws_access_key_id") found->access_key = value;
    if (name == "aws_secret_access_key") found->secret_key = value;
    if (name == "aws_session_token") found->session_token = value;
  }
  if (found && (found->access_key.empty() || found->secret_key.empty())) {
    return make_error("profile [" + std::string(profile) +
                      "] needs both aws_access_key_id and aws_secret_access_key");
  }
  return found;
}

tp::result<aws_keys> resolve_aws_keys(
    std::string_view config_access_key, std::string_view config_secret_key,
    const std::function<std::optional<std::string>(const char*)>& getenv) {
  if (!config_access_key.empty() && !config_secret_key.empty()) {
    return aws_keys{
        std::string(config_access_key), std::string(config_secret_key), {}, "teleport.yaml"};
  }
  auto id = getenv("AWS_ACCESS_KEY_ID");
  auto secret = getenv("AWS_SECRET_ACCESS_KEY");
  if (id && secret && !id->empty() && !secret->empty()) {
    return aws_keys{*id, *secret, getenv("AWS_SESSION_TOKEN").value_or(""), "environment"};
  }
  std::string path;
  if (auto f = getenv("AWS_SHARED_CREDENTIALS_FILE"); f && !f->empty()) {
    path = *f;
  } else if (auto home = getenv("HOME"); home && !home->empty()) {
    path = *home + "/.aws/credentials";
  }
  const std::string profile = getenv("AWS_PROFILE").value_or("default");
  const std::string none =
      "no AWS credentials: set access_key and secret_key under teleport.storage, "
      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a [" +
      profile + "] profile in ";
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) {
    return make_error(none + (path.empty() ? std::string("~/.aws/credentials") : path));
  }
  auto text = read_small_file(path, 1 << 20);
  if (!text) return text.err();
  auto keys = parse_aws_credentials_file(*text, profile);
  if (!keys) return make_error(path + ": " + keys.message());
  if (!*keys) return make_error(none + path);
  (*keys)->source = path + " [" + profile + "]";
  return std::move(**keys);
}

}  // namespace tp::config
