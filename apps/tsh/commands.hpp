// tsh's commands; each returns the process exit code (or does not return: ssh and
// scp replace tsh with OpenSSH).
#pragma once

#include <string>
#include <vector>

#include "apps/tsh/session.hpp"

namespace tp::apps::tsh {

struct login_flags {
  std::string ttl;   // "12h", "90m", or minutes as a bare number; "" = the server's default
  std::string user;  // positional form: tsh login joe
};
int cmd_login(const global_flags& g, const login_flags& f);
int cmd_logout(const global_flags& g);
int cmd_status(const global_flags& g);

int cmd_ls(const global_flags& g, const std::vector<std::string>& labels);
// The proxy's cluster and its leaf clusters with their tunnel status.
int cmd_clusters(const global_flags& g);

struct ssh_flags {
  std::string port;
  std::vector<std::string> forwards;  // -L specs
  bool agent = false;                 // -A
  bool tty = false;                   // -t
  bool no_command = false;            // -N
  std::vector<std::string> args;      // [user@]host|label=value [command...]
};
int cmd_ssh(const global_flags& g, const ssh_flags& f);

struct scp_flags {
  bool recursive = false;  // -r
  bool quiet = false;      // -q
  bool preserve = false;   // -p
  std::string port;        // -P
  std::vector<std::string> operands;
};
int cmd_scp(const global_flags& g, const scp_flags& f);

int cmd_config(const global_flags& g);

struct play_flags {
  double speed = 1.0;
  std::string format = "pty";  // pty (replay on the terminal), json, asciicast
  std::string target;          // a session ID, or a local <dir>/<sid>.session.log
};
int cmd_play(const global_flags& g, const play_flags& f);
int cmd_recordings_ls(const global_flags& g, const std::string& since, const std::string& until);
int cmd_sessions_ls(const global_flags& g);
// Joins a session in progress as another party (same screen, may type).
int cmd_join(const global_flags& g, const std::string& sid);
int cmd_known_hosts(const global_flags& g, const std::string& host, const std::string& port);

}  // namespace tp::apps::tsh
