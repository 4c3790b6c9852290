// What every tctl command needs: the configuration (for data_dir and the auth
// address), the admin identity auth left in data_dir, and a connected client.
#pragma once

#include <memory>
#include <string>

#include "actors/client/auth_client.hpp"
#include "config/config.hpp"

namespace tp::apps::tctl {

struct global_flags {
  std::string config_path;  // empty: /etc/teleport.yaml when it exists
  std::string auth_server;  // host:port; empty: from the config
  bool debug = false;
};

struct context {
  config::teleport_config cfg;
  config::address auth;  // where we connect
  std::unique_ptr<actors::auth_client> client;
};

// Loads the config and connects with the admin identity. Errors say what to do.
tp::result<context> connect(const global_flags& flags);

// "error: ..." on stderr; returns 1.
int fail(const std::string& message);

// Prints rows as a left-aligned table with a dashed rule under the header.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

std::string join(const std::vector<std::string>& parts, const std::string& sep = ",");
std::vector<std::string> split(const std::string& text, char sep = ',');

}  // namespace tp::apps::tctl
