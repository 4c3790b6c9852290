#include "actors/proxy/node_directory.hpp"

#include <charconv>

namespace tp::actors {
namespace {

std::string host_of(const std::string& addr) {
  if (!addr.empty() && addr.front() == '[') {
    auto end = addr.find(']');
    return end == std::string::npos ? addr : addr.substr(1, end - 1);
  }
  auto colon = addr.rfind(':');
  return colon == std::string::npos ? addr : addr.substr(0, colon);
}

}  // namespace

std::optional<dial_target> target_of(const messages::node& n) {
  const auto& addr = n.spec.addr;
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  dial_target t;
  t.host = addr.substr(0, colon);
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  int port = 0;
  const char* first = addr.data() + colon + 1;
  const char* last = addr.data() + addr.size();
  auto [p, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || p != last || port <= 0 || port > 65535) return std::nullopt;
  t.port = static_cast<std::uint16_t>(port);
  t.node_name = n.spec.hostname;
  return t;
}

void node_directory::replace(std::vector<messages::node> nodes) {
  std::lock_guard<std::mutex> lock(mu_);
  nodes_ = std::move(nodes);
}

std::vector<messages::node> node_directory::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nodes_;
}

std::optional<messages::node> node_directory::resolve(const std::string& host,
                                                      std::uint16_t port) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& n : nodes_) {
    if (n.meta.name == host) return n;  // host IDs are unique
  }
  std::vector<const messages::node*> found;
  const std::string suffix = "." + cluster_;
  for (const auto& n : nodes_) {
    const auto& h = n.spec.hostname;
    if (h == host || h + suffix == host || host_of(n.spec.addr) == host) found.push_back(&n);
  }
  if (found.size() > 1 && port != 0) {
    // Several hosts on one IP (or one name): the port says which is meant.
    std::erase_if(found, [&](const messages::node* n) {
      auto t = target_of(*n);
      return !t || t->port != port;
    });
  }
  if (found.size() != 1) return std::nullopt;
  return *found.front();
}

std::optional<proxy_target> parse_proxy_subsystem(const std::string& name) {
  constexpr std::string_view prefix = "proxy:";
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  std::string rest = name.substr(prefix.size());
  proxy_target t;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    t.cluster = rest.substr(at + 1);
    rest.resize(at);
  }
  // The port follows the last ':' unless the host is a bracketed IPv6 literal without one.
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value > 65535) return std::nullopt;
    t.port = static_cast<std::uint16_t>(value);
    rest.resize(colon);
  }
  if (rest.size() > 2 && rest.front() == '[' && rest.back() == ']')
    rest = rest.substr(1, rest.size() - 2);
  if (rest.empty() || rest.size() > 255) return std::nullopt;
  t.host = std::move(rest);
  return t;
}

}  // namespace tp::actors
