// Join tokens (static ones from teleport.yaml, dynamic ones from `tctl nodes
// add`) and user signup tokens (`tctl users add`). Dynamic and signup tokens
// live only in the backend, with their TTL, so they survive a restart of auth
// and every auth server sharing the backend sees the same ones (HA):
//
//   /tokens/<sha256 of the token>   {"token","kind","roles","expires",...}
//
// Tokens are looked up by their SHA-256, so neither the map nor the backend
// compare secret bytes in data-dependent time. Not thread-safe: owned by the
// auth_server actor.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/tokens.hpp"
#include "messages/auth_api.hpp"
#include "messages/result.hpp"
#include "persistence/backend.hpp"

namespace tp::actors::auth {

using sys_time = std::chrono::system_clock::time_point;

inline constexpr std::chrono::hours signup_token_ttl{1};
inline constexpr std::chrono::minutes default_join_token_ttl{30};
inline constexpr std::chrono::hours max_join_token_ttl{24 * 365};

struct token_record {
  std::string token;
  bool signup = false;
  std::vector<std::string> roles;   // join: node/proxy/auth/trusted_cluster; signup: user roles
  std::optional<sys_time> expires;  // none: static
  std::string user;                 // signup only
  std::vector<std::string> logins;  // signup only
  std::string otp_key;              // signup only: the TOTP secret the user enrols
};

class token_registry {
 public:
  token_registry(std::shared_ptr<persistence::backend> db,
                 std::vector<config::static_token> statics);

  // Checks that the stored tokens can be read (auth refuses to start otherwise).
  tp::status load() const;

  // A new dynamic join token. Errors: bad roles or TTL, token in use.
  tp::result<token_record> create_join(const messages::create_token_request& request, sys_time now);
  // A signup token for a new user (1h), with the TOTP secret it will enrol.
  tp::result<token_record> create_signup(const messages::create_signup_request& request,
                                         std::string otp_key, sys_time now);

  // Whether `token` lets a host join in `role`. The error says why not
  // ("invalid or expired join token", "token does not allow role ...").
  tp::status check_join(std::string_view token, std::string_view role, sys_time now) const;

  // Live tokens; unreadable stored records are logged with their key and left out.
  tp::result<std::vector<messages::token_info>> list(sys_time now) const;
  // A live signup token's record; nullopt if there is none (or it cannot be read).
  std::optional<token_record> find_signup(std::string_view token, sys_time now) const;
  // Dynamic or signup tokens; static ones live in the config file.
  tp::status remove(std::string_view token);

 private:
  // nullopt: no live token with this text; an error: the backend failed.
  tp::result<std::optional<token_record>> find(std::string_view token, sys_time now) const;
  tp::status store(const token_record& rec, sys_time now);

  std::shared_ptr<persistence::backend> db_;
  std::map<std::string, token_record> statics_;  // sha256 hex -> record
};

messages::token_info to_info(const token_record& rec);

}  // namespace tp::actors::auth
