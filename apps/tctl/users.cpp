// tctl users add | ls | rm
#include <iostream>

#include "apps/tctl/commands.hpp"

namespace tp::apps::tctl {

using namespace tp::messages;

int cmd_users_add(context& ctx, const std::string& user, const std::string& logins,
                  const std::string& roles) {
  create_signup_request req;
  req.user = user;
  req.logins = split(logins);
  req.roles = split(roles);
  auto info = ctx.client->call_as(std::move(req));
  if (!info) return fail(info.message());
  // The link goes to the proxy users reach: its public_addr, else this host's name.
  std::string proxy = ctx.cfg.global.nodename + ":" + std::to_string(config::default_web_port);
  if (!ctx.cfg.proxy_service.public_addr.empty()) {
    proxy = ctx.cfg.proxy_service.public_addr.front().to_string();
  }
  std::cout << "Signup token has been created and is valid for 1 hours. Share this URL with "
               "the user:\n"
            << "https://" << proxy << "/web/newuser/" << info->token << "\n\n"
            << "NOTE: Make sure " << proxy
            << " points at a Teleport proxy which users can access.\n";
  return 0;
}

int cmd_users_ls(context& ctx) {
  auto r = ctx.client->call_as(get_resources_request{resource_kind::user, "", false});
  if (!r) return fail(r.message());
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : r->items) {
    const auto& u = std::get<messages::user>(item);
    rows.push_back({u.meta.name, join(u.logins()),
                    join(u.spec.roles.empty() ? std::vector<std::string>{"admin"} : u.spec.roles)});
  }
  print_table({"User", "Allowed Logins", "Roles"}, rows);
  return 0;
}

int cmd_users_rm(context& ctx, const std::string& user) {
  auto r = ctx.client->call_as(delete_resource_request{resource_kind::user, user});
  if (!r) return fail(r.message());
  std::cout << "User \"" << user << "\" has been deleted\n";
  return 0;
}

}  // namespace tp::apps::tctl
