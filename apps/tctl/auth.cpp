// tctl status, tctl auth export | sign
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "actors/auth/ca_export.hpp"
#include "actors/host/rotation_follow.hpp"
#include "apps/tctl/commands.hpp"
#include "config/duration.hpp"
#include "transport/key_files.hpp"
#include "transport/ssh_key.hpp"
#include "transport/ssh_private_key.hpp"

namespace tp::apps::tctl {

using namespace tp::messages;

int cmd_status(context& ctx) {
  auto ping = ctx.client->call_as(ping_request{});
  if (!ping) return fail(ping.message());
  std::cout << "Cluster  " << ping->cluster_name << "\n"
            << "Version  " << ping->server_version << "\n"
            << "User CA  " << ping->user_ca_fingerprint << "\n"
            << "Host CA  " << ping->host_ca_fingerprint << "\n"
            << "CA pin   " << ping->ca_pin << "\n";
  if (actors::auth_knows_rotation(ping->server_version)) {
    if (auto rot = ctx.client->call_as(rotation_status_request{})) print_rotation(*rot);
  }
  // What an operator checks next: which nodes report in and on which version,
  // and the state of the leaf clusters' tunnels.
  if (auto nodes = ctx.client->call_as(get_resources_request{resource_kind::node, "", false})) {
    std::map<std::string, int> versions;
    for (const auto& item : nodes->items) {
      const auto& v = std::get<messages::node>(item).spec.version;
      ++versions[v.empty() ? "unknown" : v];
    }
    std::string by_version;
    for (const auto& [v, n] : versions)
      by_version += (by_version.empty() ? "" : ", ") + std::to_string(n) + " on " + v;
    std::cout << "Nodes    " << nodes->items.size() << " online"
              << (by_version.empty() ? "" : " (" + by_version + ")") << "\n";
  }
  if (auto rcs = ctx.client->call_as(remote_clusters_request{})) {
    for (const auto& line : rcs->events) {
      auto c = nlohmann::json::parse(line, nullptr, false);
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) continue;
      std::cout << "Leaf     " << c["name"].get<std::string>() << ": "
                << c.value("connection", "offline") << "\n";
    }
  }
  return 0;
}

int cmd_auth_export(context& ctx, const std::string& type) {
  auto which = actors::auth::parse_export_type(type);
  if (!which) return fail("--type: use user, host or tls");
  auto cas = ctx.client->call_as(ca_keys_request{});
  if (!cas) return fail(cas.message());
  auto key_of = [](const std::vector<std::string>& lines) -> tp::result<transport::public_key> {
    if (lines.empty()) return tp::make_error("the auth server sent no CA key");
    return transport::public_key::from_authorized_key(lines.front());
  };
  auto host = key_of(cas->host_ca_keys);
  auto user = key_of(cas->user_ca_keys);
  if (!host || !user) return fail("the auth server sent an unreadable CA key");
  using actors::auth::export_type;
  if (*which == export_type::tls) {
    std::cout << cas->tls_ca_pem;
    return 0;
  }
  if (*which == export_type::host || *which == export_type::all) {
    std::cout << actors::auth::known_hosts_line(*host, cas->cluster_name) << "\n";
  }
  if (*which == export_type::user || *which == export_type::all) {
    std::cout << actors::auth::authorized_keys_line(*user, cas->cluster_name) << "\n";
  }
  return 0;
}

int cmd_auth_sign(context& ctx, const sign_flags& flags) {
  if (flags.user.empty() == flags.host.empty()) return fail("pass exactly one of --user or --host");
  if (flags.out.empty()) return fail("--out is required");
  if (flags.format != "openssh" && flags.format != "file") {
    return fail("--format: use openssh (or file, the same key + certificate files)");
  }
  std::int64_t ttl = 0;
  if (!flags.ttl.empty()) {
    auto d = config::parse_duration(flags.ttl);
    if (!d) return fail("--ttl: " + d.message());
    ttl = std::chrono::duration_cast<std::chrono::seconds>(*d).count();
    if (ttl < 1) return fail("--ttl: must be at least 1s");
  }
  auto key = transport::key_pair::generate(transport::key_type::ed25519);
  if (!key) return fail("cannot generate a key: " + key.message());
  const std::string comment = flags.user.empty() ? split(flags.host).front() : flags.user;

  tp::result<certificate_reply> cert = tp::make_error("");
  if (!flags.user.empty()) {
    cert = ctx.client->call_as(sign_user_request{flags.user, key->pub().authorized_key(), ttl});
  } else {
    auto names = split(flags.host);
    if (names.empty()) return fail("--host: name at least one host");
    cert =
        ctx.client->call_as(sign_host_request{std::move(names), key->pub().authorized_key(), ttl});
  }
  if (!cert) return fail(cert.message());

  const std::string out = flags.out;
  if (auto st = transport::write_file_atomically(
          out, transport::encode_openssh_private_key(*key, comment), 0600);
      !st) {
    return fail(st.message());
  }
  if (auto st = transport::write_file_atomically(out + ".pub",
                                                 key->pub().authorized_key(comment) + "\n", 0644);
      !st) {
    return fail(st.message());
  }
  if (auto st =
          transport::write_file_atomically(out + "-cert.pub", cert->ssh_certificate + "\n", 0644);
      !st) {
    return fail(st.message());
  }
  std::cout << "The credentials have been written to " << out << ", " << out << ".pub, " << out
            << "-cert.pub\n";
  return 0;
}

}  // namespace tp::apps::tctl
