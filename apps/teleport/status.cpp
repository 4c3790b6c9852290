#include "apps/teleport/status.hpp"

#include <cstdlib>
#include <string>

namespace tp::apps {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

int print_session_status(std::ostream& out, std::ostream& err) {
  const std::string session = env("SSH_SESSION_ID");
  if (session.empty()) {
    err << "error: teleport status works only inside an active Teleport SSH session\n";
    return 1;
  }
  const std::string user = env("SSH_TELEPORT_USER");
  const std::string login = env("USER");
  const std::string proxy = env("SSH_SESSION_WEBPROXY_ADDR");
  const std::string cluster = env("SSH_TELEPORT_CLUSTER_NAME");
  const std::string host = env("SSH_TELEPORT_HOST_UUID");
  out << "User ID     : " << user << ", logged in as " << login << "\n"
      << "Cluster Name: " << cluster << "\n"
      << "Host UUID   : " << host << "\n"
      << "Session ID  : " << session << "\n";
  if (!proxy.empty()) {
    out << "Session URL : https://" << proxy << "/web/cluster/" << cluster << "/node/" << host
        << "/" << login << "/" << session << "\n";
  }
  return 0;
}

}  // namespace tp::apps
