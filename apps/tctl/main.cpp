// tctl: the cluster administration tool (manual: "Admin Guide"). Talks to the
// auth service over the control plane with the admin identity in data_dir.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <functional>
#include <iostream>

#include "apps/tctl/commands.hpp"
#include "apps/version.hpp"

using namespace tp::apps::tctl;

int main(int argc, char** argv) {
  CLI::App app{"tctl: admin tool for the Teleport auth service (teleport-cpp)", "tctl"};
  app.require_subcommand(1);
  global_flags g;
  app.add_option("-c,--config", g.config_path, "Path to the teleport.yaml of the auth server")
      ->check(CLI::ExistingFile);
  app.add_option("--auth-server", g.auth_server, "Auth server address (host:port)");
  app.add_flag("-d,--debug", g.debug, "Verbose logging to stderr");

  std::function<int(context&)> run;
  auto on = [&](CLI::App* cmd, std::function<int(context&)> fn) {
    cmd->callback([&run, fn] { run = fn; });
  };

  on(app.add_subcommand("status", "Report cluster status"), cmd_status);
  auto* version = app.add_subcommand("version", "Print the version");

  auto* users = app.add_subcommand("users", "Manage user accounts")->require_subcommand(1);
  static std::string user, logins, token, ref, file, type, format = "yaml";
  auto* users_add = users->add_subcommand("add", "Generate a user invitation token");
  users_add->add_option("account", user, "User name")->required();
  users_add->add_option("local-logins", logins, "Allowed OS logins, comma separated");
  static std::string user_roles;
  users_add->add_option("--roles", user_roles,
                        "Roles of the user, comma separated (default: admin)");
  on(users_add, [](context& c) { return cmd_users_add(c, user, logins, user_roles); });
  on(users->add_subcommand("ls", "List all user accounts"), cmd_users_ls);
  auto* users_rm = users->add_subcommand("rm", "Delete a user");
  users_rm->alias("del");
  users_rm->add_option("user", user, "User name")->required();
  on(users_rm, [](context& c) { return cmd_users_rm(c, user); });

  auto* nodes = app.add_subcommand("nodes", "Issue invites for other nodes to join the cluster")
                    ->require_subcommand(1);
  static nodes_add_flags add_flags;
  auto* nodes_add = nodes->add_subcommand("add", "Generate a node invitation token");
  nodes_add->add_option("--roles", add_flags.roles, "Comma-separated roles: node, proxy, auth");
  nodes_add->add_option("--ttl", add_flags.ttl, "Time to live of the token (default 30m)");
  nodes_add->add_option("--token", add_flags.token, "Use this token instead of a random one");
  on(nodes_add, [](context& c) { return cmd_nodes_add(c, add_flags); });
  on(nodes->add_subcommand("ls", "List all active SSH nodes"), cmd_nodes_ls);

  auto* tokens =
      app.add_subcommand("tokens", "List or revoke invitation tokens")->require_subcommand(1);
  on(tokens->add_subcommand("ls", "List invitation tokens"), cmd_tokens_ls);
  static tokens_add_flags tokens_flags;
  auto* tokens_add = tokens->add_subcommand("add", "Create an invitation token");
  tokens_add->add_option("--type", tokens_flags.type,
                         "Token type: node, proxy or trusted_cluster (comma separated)");
  tokens_add->add_option("--ttl", tokens_flags.ttl, "Time to live of the token (default 30m)");
  tokens_add->add_option("--value", tokens_flags.value, "Use this token instead of a random one");
  on(tokens_add, [](context& c) { return cmd_tokens_add(c, tokens_flags); });
  auto* tokens_del = tokens->add_subcommand("del", "Delete (revoke) a token");
  tokens_del->alias("rm");
  tokens_del->add_option("token", token, "The token")->required();
  on(tokens_del, [](context& c) { return cmd_tokens_del(c, token); });

  static bool with_secrets = false, force = false;
  auto* get = app.add_subcommand("get", "Print a YAML declaration of resources");
  get->add_option("resource", ref, "kind or kind/name, e.g. users or user/joe")->required();
  get->add_flag("--with-secrets", with_secrets, "Include secrets (password hashes, CA keys)");
  get->add_option("--format", format, "yaml (default) or json");
  static events_flags ev;
  get->add_option("--since", ev.since, "events: from this time (RFC 3339) or this long ago (1h)");
  get->add_option("--until", ev.until, "events: before this time or this long ago");
  get->add_option("--type", ev.type, "events: only this event type, e.g. session.start");
  get->add_option("--limit", ev.limit, "events: at most this many (default 1000)");
  on(get, [](context& c) { return cmd_get(c, ref, with_secrets, format, ev); });
  auto* create = app.add_subcommand("create", "Create or update resources from a YAML file");
  create->add_option("filename", file, "Resource file")->required();
  create->add_flag("-f,--force", force, "Overwrite resources that exist");
  on(create, [](context& c) { return cmd_create(c, file, force); });
  auto* rm = app.add_subcommand("rm", "Delete a resource");
  rm->alias("del");
  rm->add_option("resource", ref, "kind/name, e.g. user/joe")->required();
  on(rm, [](context& c) { return cmd_rm(c, ref); });

  auto* audit = app.add_subcommand("audit", "Inspect the audit log")->require_subcommand(1);
  on(audit->add_subcommand("verify", "Check the hash chain of every audit log day file"),
     cmd_audit_verify);

  auto* auth = app.add_subcommand("auth", "Operations with the certificate authorities")
                   ->require_subcommand(1);
  auto* exp = auth->add_subcommand("export", "Export public CA keys to stdout");
  exp->add_option("--type", type, "user, host or tls (default: host and user)");
  on(exp, [](context& c) { return cmd_auth_export(c, type); });
  static sign_flags sf;
  auto* sign = auth->add_subcommand("sign", "Create an identity file(s) for a given user or host");
  sign->add_option("--user", sf.user, "User name");
  sign->add_option("--host", sf.host, "Host names, comma separated");
  sign->add_option("-o,--out", sf.out,
                   "Output path of the key; the certificate goes to <out>-cert.pub")
      ->required();
  sign->add_option("--format", sf.format, "openssh (default) or file");
  sign->add_option("--ttl", sf.ttl, "Certificate lifetime, e.g. 1h");
  on(sign, [](context& c) { return cmd_auth_sign(c, sf); });
  static rotate_flags rf;
  auto* rot = auth->add_subcommand("rotate", "Rotate certificate authorities in the cluster");
  rot->add_option("--type", rf.type,
                  "Certificate authority to rotate, user or host (default: both)")
      ->check(CLI::IsMember({"user", "host"}));
  rot->add_option("--grace-period", rf.grace_period,
                  "Grace period keeps the old CA trusted, e.g. 30h (the default)");
  rot->add_flag("--manual", rf.manual, "Activate manual rotation, set rotation phases manually");
  rot->add_option("--phase", rf.phase,
                  "Target rotation phase to set, used in manual rotation: init, update_clients, "
                  "update_servers, standby or rollback");
  on(rot, [](context& c) { return cmd_auth_rotate(c, rf); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (version->parsed()) {
    std::cout << "Teleport v" << tp::apps::version << " (teleport-cpp)\n";
    return 0;
  }
  spdlog::set_level(g.debug ? spdlog::level::debug : spdlog::level::err);
  if (!run) {
    std::cout << app.help();
    return 1;
  }
  auto ctx = connect(g);
  if (!ctx) return fail(ctx.message());
  return run(*ctx);
}
