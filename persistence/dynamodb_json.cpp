#include "persistence/dynamodb_json.hpp"

#include <charconv>
#include <cstdio>

#include "messages/base64.hpp"
#include "persistence/key_path.hpp"
#include "persistence/record.hpp"

namespace tp::persistence::dynamodb_json {
namespace {

const json* attribute(const json& item, std::string_view name, const char* type) {
  if (!item.is_object()) return nullptr;
  auto it = item.find(std::string(name));
  if (it == item.end() || !it->is_object()) return nullptr;
  auto v = it->find(type);
  if (v == it->end() || !v->is_string()) return nullptr;
  return &*v;
}

}  // namespace

json s(std::string_view v) {
  return {{"S", std::string(v)}};
}
json n(std::int64_t v) {
  return {{"N", std::to_string(v)}};
}
json b(std::string_view bytes) {
  return {{"B", messages::base64_encode(bytes)}};
}

std::optional<std::string> s_of(const json& item, std::string_view name) {
  const auto* v = attribute(item, name, "S");
  if (v == nullptr) return std::nullopt;
  return v->get<std::string>();
}

std::optional<std::int64_t> n_of(const json& item, std::string_view name) {
  const auto* v = attribute(item, name, "N");
  if (v == nullptr) return std::nullopt;
  const auto& text = v->get_ref<const std::string&>();
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return out;
}

std::optional<std::string> b_of(const json& item, std::string_view name) {
  const auto* v = attribute(item, name, "B");
  if (v == nullptr) return std::nullopt;
  auto raw = messages::base64_decode(v->get_ref<const std::string&>());
  if (!raw) return std::nullopt;
  return std::move(*raw);
}

json key_of(std::string_view hash, std::string_view path) {
  return {{"HashKey", s(hash)}, {"FullPath", b(path)}};
}

std::string event_path(std::uint64_t revision) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(revision));
  return buf;
}

db_result<item> decode_item(const json& attributes) {
  auto key = b_of(attributes, "FullPath");
  if (!key) return {error_kind::io, "DynamoDB returned an item without a key"};
  const auto rev = n_of(attributes, "Rev");
  const auto expires = n_of(attributes, "ExpiresMs");
  // An empty value is stored as no Value attribute (older services refuse empty B).
  const bool has_value = attributes.is_object() && attributes.contains("Value");
  auto value = b_of(attributes, "Value");
  if (!rev || *rev <= 0 || !expires || *expires < 0 || (has_value && !value)) {
    return {error_kind::io, "stored item for key " + printable_key(*key) +
                                " is malformed (not written by this version?)"};
  }
  item it;
  it.key = std::move(*key);
  if (value) it.value = std::move(*value);
  if (*expires != 0) it.expires = record::from_ms(*expires);
  it.revision = static_cast<std::uint64_t>(*rev);
  return it;
}

std::optional<logged_event> decode_event(const json& attributes) {
  auto path = b_of(attributes, "FullPath");
  auto type = s_of(attributes, "Type");
  if (!path || !type || path->size() != 20) return std::nullopt;
  std::uint64_t rev = 0;
  const auto [end, ec] = std::from_chars(path->data(), path->data() + path->size(), rev);
  if (ec != std::errc{} || end != path->data() + path->size() || rev == 0) return std::nullopt;
  logged_event e;
  e.revision = rev;
  e.it.revision = rev;
  if (*type == "none") return e;
  if (*type != "put" && *type != "remove") return std::nullopt;
  e.type = *type == "put" ? logged_event::kind::put : logged_event::kind::remove;
  auto key = b_of(attributes, "Key");
  if (!key || !validate_key(*key)) return std::nullopt;
  e.it.key = std::move(*key);
  if (e.type == logged_event::kind::put) {
    if (attributes.contains("Value")) {
      auto value = b_of(attributes, "Value");
      if (!value) return std::nullopt;
      e.it.value = std::move(*value);
    }
    const auto expires = n_of(attributes, "ExpiresMs");
    if (!expires || *expires < 0) return std::nullopt;
    if (*expires != 0) e.it.expires = record::from_ms(*expires);
  }
  return e;
}

service_error parse_error(unsigned status, std::string_view body) {
  service_error e;
  auto j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    const std::string type = j.value("__type", std::string());
    const auto hash = type.rfind('#');
    e.type = hash == std::string::npos ? type : type.substr(hash + 1);
    // The service spells it "message" or "Message".
    e.message = j.value("message", j.value("Message", std::string()));
  }
  if (e.type.empty()) {
    e.type = "HTTP " + std::to_string(status);
    if (e.message.empty()) e.message = std::string(body.substr(0, 200));
  }
  return e;
}

bool is_retryable(const service_error& e, unsigned status) {
  return e.type == "ProvisionedThroughputExceededException" || e.type == "ThrottlingException" ||
         e.type == "RequestLimitExceeded" || e.type == "InternalServerError" ||
         e.type == "ServiceUnavailable" || e.type == "LimitExceededException" || status >= 500;
}

}  // namespace tp::persistence::dynamodb_json
