#include <charconv>

#include "messages/version.hpp"

namespace tp {
namespace {

bool take_number(std::string_view& s, int& out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  if (ec != std::errc() || p == s.data() || out < 0) return false;
  s.remove_prefix(static_cast<std::size_t>(p - s.data()));
  return true;
}

bool take_dot(std::string_view& s) {
  if (s.empty() || s.front() != '.') return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<semver> parse_semver(std::string_view text) {
  if (!text.empty() && text.front() == 'v') text.remove_prefix(1);
  semver v;
  if (!take_number(text, v.major) || !take_dot(text) || !take_number(text, v.minor) ||
      !take_dot(text) || !take_number(text, v.patch))
    return std::nullopt;
  if (!text.empty() && text.front() != '-' && text.front() != '+') return std::nullopt;
  return v;
}

std::string version_incompatibility(std::string_view peer_kind, std::string_view peer,
                                    std::string_view server) {
  const auto p = parse_semver(peer);
  const auto s = parse_semver(server);
  const std::string who(peer_kind);
  if (!s) return {};  // our own version is always well-formed; nothing to compare
  if (!p)
    return who + " reports version \"" + std::string(peer) +
           "\", which is not a version; upgrade it to " + std::string(server);
  const bool ok = p->major == s->major && p->minor <= s->minor + 1 && p->minor + 1 >= s->minor;
  if (ok) return {};
  const bool older = p->major < s->major || (p->major == s->major && p->minor < s->minor);
  return who + " version " + std::string(peer) + " is " + (older ? "older" : "newer") +
         " than the server's " + std::string(server) +
         " and incompatible with it (one minor version apart at most); " +
         (older ? "upgrade the " + who : "upgrade the server first");
}

std::string client_incompatibility(std::string_view client_kind, std::string_view client,
                                   std::string_view server) {
  const auto c = parse_semver(client);
  const auto s = parse_semver(server);
  if (!c || !s) return version_incompatibility(client_kind, client, server);
  if (c->major == s->major && c->minor >= s->minor && c->minor <= s->minor + 1) return {};
  const bool older = c->major < s->major || (c->major == s->major && c->minor < s->minor);
  const std::string who(client_kind);
  return who + " " + std::string(client) + " is " + (older ? "older" : "newer") +
         " than the cluster's " + std::string(server) + " and cannot work with it; " +
         (older ? "upgrade " + who + " to " + std::to_string(s->major) + "." +
                      std::to_string(s->minor) + " or later"
                : "use " + who + " " + std::to_string(s->major) + "." + std::to_string(s->minor) +
                      " or " + std::to_string(s->major) + "." + std::to_string(s->minor + 1));
}

}  // namespace tp
