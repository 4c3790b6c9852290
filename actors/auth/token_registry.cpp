#include "actors/auth/token_registry.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "actors/identity/secrets.hpp"

namespace tp::actors::auth {
namespace {

constexpr std::string_view prefix = "/tokens";

std::string key_of(std::string_view digest) {
  return std::string(prefix) + "/" + std::string(digest);
}

std::int64_t unix_seconds(sys_time t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool valid_join_role(std::string_view role) {
  return role == "node" || role == "proxy" || role == "auth" || role == "trusted_cluster";
}

tp::status check_token_text(std::string_view token) {
  if (token.size() < 8 || token.size() > 256) {
    return tp::make_error("a token must be 8 to 256 characters long");
  }
  for (unsigned char c : token) {
    if (c <= 0x20 || c >= 0x7f)
      return tp::make_error("a token must be printable ASCII without spaces");
  }
  return {};
}

nlohmann::json to_json(const token_record& rec) {
  return {{"token", rec.token},    {"kind", rec.signup ? "signup" : "join"},
          {"roles", rec.roles},    {"expires", rec.expires ? unix_seconds(*rec.expires) : 0},
          {"user", rec.user},      {"logins", rec.logins},
          {"otp_key", rec.otp_key}};
}

std::optional<token_record> from_json(std::string_view text) {
  try {
    const auto j = nlohmann::json::parse(text);
    token_record rec;
    rec.token = j.at("token").get<std::string>();
    rec.signup = j.at("kind").get<std::string>() == "signup";
    rec.roles = j.at("roles").get<std::vector<std::string>>();
    const auto exp = j.at("expires").get<std::int64_t>();
    if (exp <= 0) return std::nullopt;  // stored tokens always expire
    rec.expires = sys_time{std::chrono::seconds{exp}};
    rec.user = j.value("user", "");
    rec.logins = j.value("logins", std::vector<std::string>{});
    rec.otp_key = j.value("otp_key", "");
    return rec;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

messages::token_info to_info(const token_record& rec) {
  messages::token_info info;
  info.token = rec.token;
  info.roles = rec.signup ? std::vector<std::string>{"signup"} : rec.roles;
  info.expires_unix = rec.expires ? unix_seconds(*rec.expires) : 0;
  info.user = rec.user;
  return info;
}

token_registry::token_registry(std::shared_ptr<persistence::backend> db,
                               std::vector<config::static_token> statics)
    : db_(std::move(db)) {
  for (const auto& st : statics) {
    token_record rec;
    rec.token = st.value;
    for (auto r : st.roles) rec.roles.emplace_back(config::to_string(r));
    statics_[sha256_hex(rec.token)] = std::move(rec);
  }
}

tp::status token_registry::load() const {
  auto items = db_->get_range(prefix, 1);
  if (!items) return tp::make_error("reading tokens: " + items.message());
  return {};
}

tp::status token_registry::store(const token_record& rec, sys_time now) {
  const auto digest = sha256_hex(rec.token);
  if (statics_.count(digest)) return tp::make_error("this token already exists");
  const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(*rec.expires - now);
  // create is atomic in the backend: two auth servers cannot both take one token text.
  auto created = db_->create(key_of(digest), to_json(rec).dump(), ttl);
  if (!created) {
    if (created.is(persistence::error_kind::already_exists)) {
      return tp::make_error("this token already exists");
    }
    return tp::make_error("storing the token: " + created.message());
  }
  return {};
}

tp::result<token_record> token_registry::create_join(const messages::create_token_request& req,
                                                     sys_time now) {
  token_record rec;
  rec.roles = req.roles;
  if (rec.roles.empty()) rec.roles = {"node"};
  for (const auto& r : rec.roles) {
    if (!valid_join_role(r)) {
      return tp::make_error("unknown role \"" + r +
                            "\": expected node, proxy, auth or trusted_cluster");
    }
  }
  std::sort(rec.roles.begin(), rec.roles.end());
  rec.roles.erase(std::unique(rec.roles.begin(), rec.roles.end()), rec.roles.end());
  std::chrono::seconds ttl{req.ttl_seconds};
  if (req.ttl_seconds == 0) ttl = default_join_token_ttl;
  if (ttl.count() < 1 || ttl > max_join_token_ttl) {
    return tp::make_error("the token TTL must be between 1s and 8760h");
  }
  rec.expires = now + ttl;
  rec.token = req.token.empty() ? random_hex() : req.token;
  if (auto st = check_token_text(rec.token); !st) return st.err();
  if (auto st = store(rec, now); !st) return st.err();
  return rec;
}

tp::result<token_record> token_registry::create_signup(const messages::create_signup_request& req,
                                                       std::string otp_key, sys_time now) {
  token_record rec;
  rec.otp_key = std::move(otp_key);
  rec.signup = true;
  rec.token = random_hex();
  rec.user = req.user;
  rec.logins = req.logins;
  rec.roles = req.roles;
  rec.expires = now + signup_token_ttl;
  if (auto st = store(rec, now); !st) return st.err();
  return rec;
}

tp::result<std::optional<token_record>> token_registry::find(std::string_view token,
                                                             sys_time now) const {
  const auto digest = sha256_hex(token);
  if (auto it = statics_.find(digest); it != statics_.end()) {
    if (!constant_time_equal(it->second.token, token)) return std::optional<token_record>{};
    return std::optional<token_record>{it->second};
  }
  const auto key = key_of(digest);
  auto got = db_->get(key);
  if (!got) {
    if (got.is(persistence::error_kind::not_found)) return std::optional<token_record>{};
    return tp::make_error("reading the token: " + got.message());
  }
  auto rec = from_json(got->value);
  if (!rec) {
    spdlog::warn("unreadable token record {}: ignored", key);
    return std::optional<token_record>{};
  }
  if (!constant_time_equal(rec->token, token) || *rec->expires <= now) {
    return std::optional<token_record>{};
  }
  return rec;
}

tp::status token_registry::check_join(std::string_view token, std::string_view role,
                                      sys_time now) const {
  auto rec = find(token, now);
  if (!rec) return rec.err();
  if (!*rec || (*rec)->signup) return tp::make_error("invalid or expired join token");
  const auto& roles = (*rec)->roles;
  if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
    return tp::make_error("token does not allow role \"" + std::string(role) + "\"");
  }
  return {};
}

std::optional<token_record> token_registry::find_signup(std::string_view token,
                                                        sys_time now) const {
  auto rec = find(token, now);
  if (!rec) {
    spdlog::warn("looking up a signup token: {}", rec.message());
    return std::nullopt;
  }
  if (!*rec || !(*rec)->signup) return std::nullopt;
  return std::move(*rec);
}

tp::result<std::vector<messages::token_info>> token_registry::list(sys_time now) const {
  std::vector<messages::token_info> out;
  for (const auto& [digest, rec] : statics_) out.push_back(to_info(rec));
  auto items = db_->get_range(prefix);
  if (!items) return tp::make_error("reading tokens: " + items.message());
  for (const auto& it : *items) {
    auto rec = from_json(it.value);
    if (!rec) {
      spdlog::warn("unreadable token record {}: ignored", it.key);
      continue;
    }
    if (*rec->expires <= now) continue;
    out.push_back(to_info(*rec));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.token < b.token; });
  return out;
}

tp::status token_registry::remove(std::string_view token) {
  const auto digest = sha256_hex(token);
  if (auto it = statics_.find(digest);
      it != statics_.end() && constant_time_equal(it->second.token, token)) {
    return tp::make_error("a static token is set in teleport.yaml; remove it there");
  }
  auto rec = find(token, std::chrono::system_clock::time_point::min());
  if (!rec) return rec.err();
  if (!*rec) return tp::make_error("token not found");
  auto st = db_->remove(key_of(digest));
  if (st.is(persistence::error_kind::not_found)) return tp::make_error("token not found");
  if (!st) return tp::make_error("removing the token: " + st.message());
  return {};
}

}  // namespace tp::actors::auth
