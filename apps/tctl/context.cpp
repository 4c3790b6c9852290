#include "apps/tctl/context.hpp"

#include <filesystem>
#include <iostream>

#include "actors/client/auth_servers.hpp"
#include "actors/host/host_identity.hpp"
#include "actors/identity/identity_file.hpp"
#include "config/load.hpp"
#include "messages/version.hpp"

namespace tp::apps::tctl {

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

tp::result<context> connect(const global_flags& flags) {
  context ctx;
  std::string path = flags.config_path;
  std::error_code ec;
  if (path.empty() && std::filesystem::exists(config::default_config_path, ec)) {
    path = std::string(config::default_config_path);
  }
  if (!path.empty()) {
    auto cfg = config::load_config_file(path);
    if (!cfg) return tp::make_error(cfg.message());
    ctx.cfg = std::move(*cfg);
  }
  if (!flags.auth_server.empty()) {
    auto a = config::parse_address(flags.auth_server, config::default_auth_port);
    if (!a) return tp::make_error("--auth-server: " + a.message());
    ctx.auth = *a;
  } else {
    ctx.auth = actors::auth_address(ctx.cfg);
  }
  const auto id_path = actors::identity_path(ctx.cfg.global.data_dir, "admin");
  auto id = actors::read_identity(id_path);
  if (!id) {
    return tp::make_error("cannot read the admin identity (" + id.message() +
                          "). Run tctl on the auth server as a user who can read its data_dir, "
                          "with -c pointing at its teleport.yaml");
  }
  actors::auth_servers auths(flags.auth_server.empty() ? actors::auth_addresses(ctx.cfg)
                                                       : std::vector<config::address>{ctx.auth});
  auto client = auths.connect(*id);
  if (!client) {
    return tp::make_error("cannot connect to the auth service at " + auths.describe() + ": " +
                          client.message() + ". Is teleport running with the auth role?");
  }
  ctx.auth = auths.current();
  ctx.client = std::move(*client);
  // The reference's rule: clients print an error when the cluster is incompatible.
  auto ping = ctx.client->call_as(messages::ping_request{});
  if (!ping) return tp::make_error(ping.message());
  if (auto why = client_incompatibility("tctl", build_version(), ping->server_version);
      !why.empty())
    return tp::make_error(why);
  return ctx;
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      out += cell;
      if (i + 1 < width.size()) out += std::string(width[i] - cell.size() + 1, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << "\n";
  };
  line(header);
  std::vector<std::string> rule;
  for (auto w : width) rule.emplace_back(w, '-');
  line(rule);
  for (const auto& row : rows) line(row);
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == sep) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace tp::apps::tctl
