// The cluster's nodes as the proxy's "tp-nodes" subsystem lists them, label
// selectors, and finding the node a user named.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"

namespace tp::apps::tsh {

struct node_info {
  std::string hostname;
  std::string id;
  std::string addr;  // host:port the proxy dials
  std::map<std::string, std::string> labels;
  std::string host_key;  // "ssh-ed25519 AAAA..." (canonical, no comment)
  // session_recording: proxy -- the proxy ends the SSH and reaches the node with
  // the agent the client forwards to it; host_key is then the proxy's.
  bool recording_proxy = false;
  // The known_hosts alias whose pin this node's key must match; empty: id.
  std::string pin_alias;

  std::string addr_host() const;
  std::uint16_t addr_port() const;
};

using label_selector = std::map<std::string, std::string>;

// Parses the subsystem's JSON array. Entries with names or keys that could not be
// pinned safely (wildcards, blanks, a malformed key) are dropped; `skipped` counts them.
result<std::vector<node_info>> parse_nodes(std::string_view json, std::size_t* skipped = nullptr);

// True for names we put into known_hosts: [A-Za-z0-9._-], 1..253 characters.
bool is_safe_host_token(std::string_view s);

// "env=prod,role=db" or separate "k=v" words; an error names the bad term.
result<label_selector> parse_label_selector(const std::vector<std::string>& terms);
bool matches(const node_info& n, const label_selector& sel);
std::vector<node_info> select_nodes(const std::vector<node_info>& nodes, const label_selector& sel);

// The node called `name`: its ID, hostname, hostname.<cluster> or address host
// (case-insensitive). Errors: "node <name> not found", or several nodes share the name.
result<node_info> find_node(const std::vector<node_info>& nodes, std::string_view name,
                            std::string_view cluster);

// "env=test,role=db", sorted by key.
std::string format_labels(const std::map<std::string, std::string>& labels);

}  // namespace tp::apps::tsh
