// tctl's commands; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "apps/tctl/context.hpp"
#include "messages/auth_api.hpp"

namespace tp::apps::tctl {

int cmd_status(context& ctx);

int cmd_users_add(context& ctx, const std::string& user, const std::string& logins,
                  const std::string& roles);
int cmd_users_ls(context& ctx);
int cmd_users_rm(context& ctx, const std::string& user);

struct nodes_add_flags {
  std::string roles = "node";
  std::string ttl = "30m";
  std::string token;
};
int cmd_nodes_add(context& ctx, const nodes_add_flags& flags);
int cmd_nodes_ls(context& ctx);
int cmd_tokens_ls(context& ctx);
// tctl tokens add --type=node|proxy|trusted_cluster[,...] --ttl=...
struct tokens_add_flags {
  std::string type = "node";
  std::string ttl = "30m";
  std::string value;  // --value: use this token instead of a random one
};
int cmd_tokens_add(context& ctx, const tokens_add_flags& flags);
int cmd_tokens_del(context& ctx, const std::string& token);

struct events_flags {
  std::string since;
  std::string until;
  std::string type;
  std::int64_t limit = 1000;
};
// remote_cluster / remote_clusters / rc [/name]: the leaf clusters and their tunnels.
bool is_remote_cluster_ref(const std::string& ref);
int cmd_get_remote_clusters(context& ctx, const std::string& ref, const std::string& format);
int cmd_rm_remote_cluster(context& ctx, const std::string& ref);
int cmd_get(context& ctx, const std::string& ref, bool with_secrets, const std::string& format,
            const events_flags& events);
int cmd_create(context& ctx, const std::string& file, bool force);
int cmd_rm(context& ctx, const std::string& ref);

int cmd_events(context& ctx, const events_flags& flags);
int cmd_audit_verify(context& ctx);

int cmd_auth_export(context& ctx, const std::string& type);
struct sign_flags {
  std::string user;
  std::string host;
  std::string out;
  std::string format = "openssh";
  std::string ttl;
};
int cmd_auth_sign(context& ctx, const sign_flags& flags);

struct rotate_flags {
  std::string type;  // "" = user and host
  std::string grace_period;
  bool manual = false;
  std::string phase;
};
int cmd_auth_rotate(context& ctx, const rotate_flags& flags);

// A Unix time in UTC with a strftime format; "never" for 0.
std::string utc_text(std::int64_t unix_seconds, const char* format);
void print_rotation(const messages::rotation_reply& r);

}  // namespace tp::apps::tctl
