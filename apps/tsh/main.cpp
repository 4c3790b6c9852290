// tsh: the user tool. Logs in at the proxy's web API (password + OTP) to get an SSH
// certificate, keeps it with the profile in ~/.tsh, lists nodes, and runs OpenSSH's
// ssh/scp with that identity through the proxy (design: ssh_exec.hpp).
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <functional>
#include <iostream>
#include <set>

#include "apps/tsh/commands.hpp"
#include "apps/version.hpp"

using namespace tp::apps::tsh;

namespace {

const std::set<std::string> k_commands = {
    "login",       "logout", "status", "ls",         "ssh",      "scp",  "config",  "version",
    "known-hosts", "help",   "play",   "recordings", "sessions", "join", "clusters"};

// `tsh [flags] root@luna cmd` is `tsh ssh`: insert the command name where the first
// word that is not a flag (or a flag's value) stands, when it is no known command.
std::vector<std::string> with_implicit_ssh(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  static const std::set<std::string> takes_value = {"--proxy", "--user", "-l", "--login",
                                                    "--cluster"};
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return args;
    if (!a.empty() && a.front() == '-') {
      if (takes_value.count(a) != 0) ++i;
      continue;
    }
    if (k_commands.count(a) == 0) args.insert(args.begin() + static_cast<long>(i), "ssh");
    return args;
  }
  return args;
}

void add_global_flags(CLI::App* app, global_flags& g) {
  app->add_option("--proxy", g.proxy, "Proxy address, host[:port] (default port 3080)");
  app->add_option("--user", g.user, "Teleport user name (default: the local user)");
  app->add_option("--cluster", g.cluster,
                  "A trusted (leaf) cluster to reach through this proxy (see tsh clusters)");
  app->add_flag("--insecure", g.insecure,
                "Do not verify the proxy's TLS certificate (self-signed test proxies only)");
  app->add_flag("-d,--debug", g.debug, "Verbose output");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tsh: Teleport SSH client (teleport-cpp)", "tsh"};
  app.require_subcommand(1);
  global_flags g;
  add_global_flags(&app, g);
  app.add_option("-l,--login", g.login, "Remote login on nodes (default: the local user)");
  app.fallthrough();

  std::function<int()> run;
  auto on = [&run](CLI::App* cmd, std::function<int()> fn) {
    cmd->callback([&run, fn] { run = fn; });
  };

  login_flags lf;
  auto* login = app.add_subcommand("login", "Log in to a cluster and get an SSH certificate");
  login->add_option("--ttl", lf.ttl, "Certificate lifetime, e.g. 12h (a bare number is minutes)");
  login->add_option("user", lf.user, "Teleport user name (same as --user)");
  on(login, [&] { return cmd_login(g, lf); });
  on(app.add_subcommand("logout", "Delete the certificate and the profile"),
     [&] { return cmd_logout(g); });
  on(app.add_subcommand("status", "Show the current login"), [&] { return cmd_status(g); });

  std::vector<std::string> labels;
  auto* ls = app.add_subcommand("ls", "List the cluster's nodes");
  ls->add_option("labels", labels, "Only nodes with these labels: key=value ...");
  on(ls, [&] { return cmd_ls(g, labels); });

  // Everything after the host is the remote command, flags included: CLI11 stops there.
  ssh_flags sf;
  auto* ssh = app.add_subcommand("ssh", "Run a shell or a command on a node");
  ssh->fallthrough(false);
  ssh->prefix_command();
  add_global_flags(ssh, g);
  ssh->add_option("-l,--login", g.login, "Remote login");
  ssh->add_option("-p,--port", sf.port, "Port on the node");
  ssh->add_option("-L,--forward", sf.forwards, "Local port forwarding, [bind:]port:host:hostport")
      ->allow_extra_args(false);
  ssh->add_flag("-A,--forward-agent", sf.agent, "Forward the SSH agent");
  ssh->add_flag("-t,--tty", sf.tty, "Allocate a terminal");
  ssh->add_flag("-N,--no-remote-exec", sf.no_command, "Do not run a command (forwarding only)");
  ssh->footer("Usage: tsh ssh [flags] [login@]host|label=value [command...]");
  on(ssh, [&] {
    sf.args = ssh->remaining();
    if (!sf.args.empty() && sf.args.front().size() > 1 && sf.args.front().front() == '-') {
      return fail("tsh ssh: unknown flag " + sf.args.front());
    }
    return cmd_ssh(g, sf);
  });

  scp_flags cf;
  auto* scp = app.add_subcommand("scp", "Copy files to or from nodes ([login@]host:path)");
  scp->add_flag("-r,--recursive", cf.recursive, "Copy directories recursively");
  scp->add_flag("-q,--quiet", cf.quiet, "No progress meter");
  scp->add_flag("-p,--preserve", cf.preserve, "Keep modification times and modes");
  scp->add_option("-P,--port", cf.port, "Port on the node");
  scp->add_option("paths", cf.operands, "source... destination")->required();
  on(scp, [&] { return cmd_scp(g, cf); });

  on(app.add_subcommand("config", "Print an ~/.ssh/config block for OpenSSH"),
     [&] { return cmd_config(g); });
  std::string kh_host, kh_port;
  auto* kh =
      app.add_subcommand("known-hosts", "Print pinned host keys (OpenSSH KnownHostsCommand)");
  kh->add_option("host", kh_host, "Host name ssh looks up (%H)")->required();
  kh->add_option("port", kh_port, "Port (%p)");
  on(kh, [&] { return cmd_known_hosts(g, kh_host, kh_port); });
  play_flags pf;
  auto* play = app.add_subcommand("play", "Replay a recorded session");
  play->add_option("--speed", pf.speed, "Playback speed, e.g. 2 or 0.5 (default 1)");
  play->add_option("--format", pf.format, "pty (replay, default), json or asciicast");
  play->add_option("session", pf.target, "Session ID, or a local <sid>.session.log")->required();
  on(play, [&] { return cmd_play(g, pf); });

  std::string since, until;
  auto* recordings = app.add_subcommand("recordings", "Recorded sessions");
  recordings->require_subcommand(1);
  auto* rec_ls = recordings->add_subcommand("ls", "List recorded sessions");
  rec_ls->add_option("--since", since,
                     "Only sessions that ended at or after (2026-11-24 or RFC 3339)");
  rec_ls->add_option("--until", until, "Only sessions that ended before");
  on(rec_ls, [&] { return cmd_recordings_ls(g, since, until); });
  auto* sessions = app.add_subcommand("sessions", "Sessions in progress");
  sessions->require_subcommand(1);
  on(sessions->add_subcommand("ls", "List active sessions"), [&] { return cmd_sessions_ls(g); });

  std::string join_sid;
  auto* join = app.add_subcommand("join", "Join a session in progress (see tsh sessions ls)");
  join->add_option("session", join_sid, "Session ID")->required();
  on(join, [&] { return cmd_join(g, join_sid); });

  on(app.add_subcommand("clusters",
                        "List this cluster and the trusted clusters reached through it"),
     [&] { return cmd_clusters(g); });

  on(app.add_subcommand("version", "Print the version"), [] {
    std::cout << "Teleport v" << tp::apps::version << " (teleport-cpp)\n";
    return 0;
  });

  const std::vector<std::string> args = with_implicit_ssh(argc, argv);
  std::vector<char*> cargs;
  for (const auto& a : args) cargs.push_back(const_cast<char*>(a.c_str()));
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(g.debug ? spdlog::level::debug : spdlog::level::err);
  if (!run) {
    std::cout << app.help();
    return 1;
  }
  return run();
}
