// `kind: node` — a registered SSH server as `tctl nodes ls` shows it. The node's static labels
// live in metadata.labels; label commands ("dynamic labels") in spec.cmd_labels.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/metadata.hpp"
#include "messages/resource_kind.hpp"

namespace tp::messages {

class map_reader;

struct command_label {
  std::chrono::nanoseconds period{0};  // how often the command runs (> 0)
  std::vector<std::string> command;    // argv, e.g. [uname, -r]
  std::string result;                  // last output: the label's value

  friend bool operator==(const command_label&, const command_label&) = default;
};

struct node_spec {
  std::string addr;         // host:port the node's SSH service is reachable at
  std::string public_addr;  // optional
  std::string hostname;     // the node name users type (`tsh ssh root@luna`)
  std::map<std::string, command_label> cmd_labels;
  // The node's SSH host public key (authorized_keys form). Not in Teleport's
  // record: libssh servers cannot present host certificates, so clients pin
  // this key from the registry instead of trusting the host CA.
  std::string host_key;
  std::string version;  // the teleport version it runs, as in Teleport's spec.version

  friend bool operator==(const node_spec&, const node_spec&) = default;
};

// metadata.name is the node's host ID (a UUID); metadata.namespace_name its namespace.
struct node {
  static constexpr resource_kind kind = resource_kind::node;
  static constexpr std::string_view default_version = "v2";

  std::string version{default_version};
  metadata meta;
  node_spec spec;

  // Static and dynamic labels together (dynamic ones win), as `tctl nodes ls` prints them.
  std::map<std::string, std::string> all_labels() const;

  friend bool operator==(const node&, const node&) = default;
};

void decode_spec(map_reader& in, node& out);
nlohmann::ordered_json encode_spec(const node& in);
inline void clear_secrets(node&) {}

}  // namespace tp::messages
