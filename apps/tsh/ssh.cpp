// tsh ssh and tsh scp: resolve the target among the proxy's nodes, refresh the
// pinned node keys, then hand over to OpenSSH (see ssh_exec.hpp for why).
#include <algorithm>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "apps/tsh/commands.hpp"
#include "config/address.hpp"

namespace tp::apps::tsh {

namespace {

struct target {
  std::string login;  // empty: not given
  std::string host;
};

// "[login@]host": the last '@' separates, as in ssh (logins may contain '@').
target split_target(const std::string& text) {
  const auto at = text.rfind('@');
  if (at == std::string::npos) return {"", text};
  return {text.substr(0, at), text.substr(at + 1)};
}

std::string pick_login(const global_flags& g, const std::string& given) {
  if (!given.empty()) return given;
  if (!g.login.empty()) return g.login;
  return local_user();
}

result<std::uint16_t> parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return make_error("invalid port \"" + text + "\"");
  }
  const unsigned long v = std::stoul(text);
  if (v == 0 || v > 65535) return make_error("invalid port \"" + text + "\"");
  return static_cast<std::uint16_t>(v);
}

// Opens the session, checks the certificate, refreshes the node list and its pins.
result<std::pair<session, std::vector<node_info>>> prepare(const global_flags& g) {
  auto s = open_session(g);
  if (!s) return s.err();
  if (auto st = check_not_expired(*s); !st) return st.err();
  auto nodes = refresh_nodes(*s);
  if (!nodes) return nodes.err();
  return std::pair{std::move(*s), std::move(*nodes)};
}

std::string join_command(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

int cmd_ssh(const global_flags& g, const ssh_flags& f) {
  if (f.args.empty()) return fail("tsh ssh needs a host: tsh ssh [login@]host [command...]");
  const target t = split_target(f.args.front());
  std::vector<std::string> command(f.args.begin() + 1, f.args.end());
  if (!command.empty() && command.front() == "--") command.erase(command.begin());
  if (t.host.empty()) return fail("tsh ssh needs a host: tsh ssh [login@]host [command...]");
  if (!f.port.empty()) {
    if (auto p = parse_port(f.port); !p) return fail(p.message());
  }
  const std::string login = pick_login(g, t.login);
  auto ready = prepare(g);
  if (!ready) return fail(ready.message());
  const auto& [s, nodes] = *ready;

  std::vector<node_info> targets;
  const bool by_label = t.host.find('=') != std::string::npos;
  if (by_label) {
    auto sel = parse_label_selector({t.host});
    if (!sel) return fail(sel.message());
    targets = select_nodes(nodes, *sel);
    if (targets.empty()) return fail("no nodes match " + t.host);
  } else {
    auto n = find_node(nodes, t.host, s.target_cluster());
    const auto rec = std::find_if(nodes.begin(), nodes.end(),
                                  [](const node_info& x) { return x.recording_proxy; });
    if (n) {
      targets.push_back(*n);
    } else if (rec != nodes.end() && is_safe_host_token(t.host)) {
      // A recording proxy reaches OpenSSH servers that are not registered (their host
      // certificate vouches for them); the key this ssh sees is the proxy's, pinned
      // under every node's ID.
      node_info direct;
      direct.hostname = t.host;
      direct.id = t.host;
      direct.recording_proxy = true;
      direct.pin_alias = rec->id;
      targets.push_back(direct);
    } else {
      return fail(n.message());
    }
  }
  if (by_label && targets.size() > 1 && command.empty()) {
    return fail(std::to_string(targets.size()) + " nodes match " + t.host +
                "; give a command to run on all of them");
  }

  // The proxy routes by node ID and the pin is looked up by ID, so the node is the one the
  // user picked however it was named.
  auto argv_for = [&](const node_info& n, bool interactive) {
    std::vector<std::string> argv{"ssh"};
    for (auto& o : node_options(s.identity(), s.hop(), n.recording_proxy))
      argv.push_back(std::move(o));
    argv.insert(argv.end(), {"-o", "HostKeyAlias=" + (n.pin_alias.empty() ? n.id : n.pin_alias)});
    if (g.debug) argv.push_back("-v");
    if (!f.port.empty()) argv.insert(argv.end(), {"-p", f.port});
    for (const auto& fw : f.forwards) argv.insert(argv.end(), {"-L", fw});
    if (f.agent) argv.push_back("-A");
    if (f.tty && interactive) argv.push_back("-t");
    if (f.no_command) argv.push_back("-N");
    argv.insert(argv.end(), {"-l", login, n.id});
    if (!command.empty()) argv.push_back(join_command(command));
    return n.recording_proxy ? with_private_agent(s.identity(), argv) : argv;
  };

  // A label target with a command always runs in the prefixed form, so output says where
  // it came from however many nodes matched; without a command it may open one shell.
  if (!by_label || command.empty()) {
    auto st = exec_program(argv_for(targets.front(), true));
    return fail(st.message());
  }
  int first_failure = 0;
  for (const auto& n : targets) {
    auto rc = run_prefixed(argv_for(n, false), "[" + n.hostname + "] ");
    if (!rc) return fail(rc.message());
    if (*rc != 0 && first_failure == 0) first_failure = *rc;
  }
  return first_failure;
}

int cmd_scp(const global_flags& g, const scp_flags& f) {
  if (f.operands.size() < 2) return fail("tsh scp needs a source and a destination");
  if (!f.port.empty()) {
    if (auto p = parse_port(f.port); !p) return fail(p.message());
  }
  auto ready = prepare(g);
  if (!ready) return fail(ready.message());
  const auto& [s, nodes] = *ready;

  std::vector<std::string> operands;
  std::set<std::string> remote_ids;
  bool recording_proxy = false;
  for (const auto& op : f.operands) {
    // scp's rule: a colon before any slash makes an operand remote ("./a:b" is local).
    const auto colon = op.find(':');
    const auto slash = op.find('/');
    if (colon == std::string::npos || colon == 0 || (slash != std::string::npos && slash < colon)) {
      operands.push_back(op);
      continue;
    }
    const target t = split_target(op.substr(0, colon));
    auto n = find_node(nodes, t.host, s.target_cluster());
    if (!n) return fail(n.message());
    remote_ids.insert(n->id);
    recording_proxy = recording_proxy || n->recording_proxy;
    const std::string login = pick_login(g, t.login);
    operands.push_back(login + "@" + n->id + ":" + op.substr(colon + 1));
  }
  if (remote_ids.empty()) return fail("tsh scp: neither operand names a node (use host:path)");

  std::vector<std::string> argv{"scp"};
  for (auto& o : node_options(s.identity(), s.hop(), recording_proxy)) argv.push_back(std::move(o));
  if (remote_ids.size() == 1)
    argv.insert(argv.end(), {"-o", "HostKeyAlias=" + *remote_ids.begin()});
  if (g.debug) argv.push_back("-v");
  if (f.recursive) argv.push_back("-r");
  if (f.quiet) argv.push_back("-q");
  if (f.preserve) argv.push_back("-p");
  if (!f.port.empty()) argv.insert(argv.end(), {"-P", f.port});
  argv.push_back("--");
  argv.insert(argv.end(), operands.begin(), operands.end());
  auto st = exec_program(recording_proxy ? with_private_agent(s.identity(), argv) : argv);
  return fail(st.message());
}

int cmd_join(const global_flags& g, const std::string& sid) {
  if (sid.empty() || sid.size() > 64 ||
      sid.find_first_not_of("0123456789abcdefABCDEF-") != std::string::npos) {
    return fail("\"" + sid + "\" is not a session ID (see tsh sessions ls)");
  }
  auto ready = prepare(g);
  if (!ready) return fail(ready.message());
  const auto& [s, nodes] = *ready;
  auto live = proxy_events(s, s.subsystem("tp-sessions"), "list the active sessions");
  if (!live) return fail(live.message());
  std::string server_id;
  for (const auto& e : *live) {
    auto id = e.find("sid");
    auto host = e.find("server_id");
    if (id != e.end() && *id == sid && host != e.end() && host->is_string()) {
      server_id = host->get<std::string>();
    }
  }
  if (server_id.empty())
    return fail("session " + sid + " is not in progress (see tsh sessions ls)");
  const node_info* node = nullptr;
  for (const auto& n : nodes) {
    if (n.id == server_id) node = &n;
  }
  if (node == nullptr) return fail("the node of session " + sid + " is not online");
  // A terminal of our own, and the session to join named before the shell request.
  std::vector<std::string> argv{"ssh"};
  for (auto& o : node_options(s.identity(), s.hop())) argv.push_back(std::move(o));
  argv.insert(argv.end(),
              {"-o", "HostKeyAlias=" + node->id, "-o", "SetEnv=TELEPORT_SESSION=" + sid, "-tt"});
  if (g.debug) argv.push_back("-v");
  argv.insert(argv.end(), {"-l", pick_login(g, ""), node->id});
  auto st = exec_program(argv);
  return fail(st.message());
}

}  // namespace tp::apps::tsh
