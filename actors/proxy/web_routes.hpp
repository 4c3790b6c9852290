// What the proxy's web listener answers (see /webapi/ping, the signup and the
// login API in the manual): JSON in, JSON out, checked strictly; the auth
// service decides every credential question.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/proxy/auth_pool.hpp"
#include "actors/proxy/web_server.hpp"

namespace tp::actors {

struct web_context {
  std::shared_ptr<auth_pool> auth;
  std::string cluster_name;
  std::string server_version;
  std::string ssh_listen_addr;  // host:port of the proxy's SSH listener
  std::string ssh_public_addr;  // as configured (may be empty)
  std::string proxy_host_key;   // authorized_keys line of the SSH listener's host key
  std::string auth_type = "local";
  std::string second_factor = "otp";
};

web_router make_web_router(std::shared_ptr<const web_context> ctx);

// The signup page (`/web/newuser/<token>`): HTML + script using the JSON API.
const std::string& signup_page();

}  // namespace tp::actors
