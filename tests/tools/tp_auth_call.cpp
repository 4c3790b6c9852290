// tp_auth_call: sends one auth API request with a given identity file, so
// integration tests can check what a node's (or any) identity is allowed to do.
//   tp_auth_call --identity FILE --auth-server HOST:PORT create-user NAME | sign-user NAME | ping
#include <iostream>
#include <string>

#include "actors/client/auth_client.hpp"
#include "actors/identity/identity_file.hpp"
#include "config/address.hpp"
#include "transport/ssh_key.hpp"

using namespace tp;

int main(int argc, char** argv) {
  std::string identity_file, server, op, name;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--identity" && i + 1 < argc)
      identity_file = argv[++i];
    else if (a == "--auth-server" && i + 1 < argc)
      server = argv[++i];
    else if (op.empty())
      op = a;
    else
      name = a;
  }
  if (identity_file.empty() || server.empty() || op.empty()) {
    std::cerr << "usage: tp_auth_call --identity FILE --auth-server HOST:PORT "
                 "create-user NAME | sign-user NAME | ping\n";
    return 2;
  }
  auto id = actors::read_identity(identity_file);
  if (!id) return std::cerr << id.message() << "\n", 2;
  auto addr = config::parse_address(server, config::default_auth_port);
  if (!addr) return std::cerr << addr.message() << "\n", 2;
  auto client = actors::auth_client::connect(addr->host, addr->port, *id);
  if (!client) return std::cerr << client.message() << "\n", 2;

  messages::api_request req;
  if (op == "create-user") {
    messages::user u;
    u.meta.name = name;
    u.spec.roles = {"admin"};
    u.spec.traits["logins"] = {"root"};
    req = messages::upsert_resource_request{u, false};
  } else if (op == "sign-user") {
    auto key = transport::key_pair::generate();
    if (!key) return 2;
    req = messages::sign_user_request{name, key->pub().authorized_key(), 3600};
  } else if (op == "ping") {
    req = messages::ping_request{};
  } else {
    std::cerr << "unknown request " << op << "\n";
    return 2;
  }
  auto reply = (*client)->call(std::move(req));
  if (!reply) {
    std::cout << reply.message() << "\n";
    return 1;
  }
  std::cout << "ok\n";
  return 0;
}
