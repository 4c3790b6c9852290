#include "config/http_proxy.hpp"

#include <algorithm>
#include <cstdlib>

#include "config/values.hpp"

namespace tp::config {

result<http_proxy> parse_http_proxy(std::string_view text) {
  http_proxy p{"http", {}};
  std::string_view rest = trim(text);
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    p.scheme = to_lower(rest.substr(0, sep));
    if (p.scheme != "http" && p.scheme != "https") {
      return make_error("invalid proxy " + quote(text) + ": scheme must be http or https");
    }
    rest.remove_prefix(sep + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/@") != std::string_view::npos) {
    return make_error("invalid proxy " + quote(text) + ": expected scheme://host:port");
  }
  auto a = parse_address(rest, p.scheme == "https" ? 443 : 80);
  if (!a) return make_error("invalid proxy " + quote(text) + ": " + a.message());
  p.addr = std::move(*a);
  return p;
}

result<std::optional<http_proxy>> http_proxy_from_env(const char* (*getenv_fn)(const char*)) {
  for (const char* name : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"}) {
    const char* v = getenv_fn ? getenv_fn(name) : std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    auto p = parse_http_proxy(v);
    if (!p) return make_error(std::string(name) + ": " + p.message());
    return std::optional<http_proxy>(std::move(*p));
  }
  return std::optional<http_proxy>();
}

namespace {

std::optional<std::uint16_t> port_of(std::string_view s) {
  auto a = parse_address("x:" + std::string(s), 0);
  if (!a) return std::nullopt;
  return a->port;
}

}  // namespace

bool no_proxy_matches(std::string_view no_proxy, std::string_view host_in, std::uint16_t port) {
  const std::string host = to_lower(host_in);
  std::size_t start = 0;
  while (start <= no_proxy.size()) {
    const auto end = std::min(no_proxy.find(',', start), no_proxy.size());
    std::string entry = to_lower(trim(no_proxy.substr(start, end - start)));
    start = end + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    std::optional<std::uint16_t> want_port;
    if (entry.front() == '[') {  // "[v6]" or "[v6]:port"
      const auto close = entry.find(']');
      if (close == std::string::npos) continue;
      if (close + 1 < entry.size()) {
        if (entry[close + 1] != ':' || !(want_port = port_of(entry.substr(close + 2)))) continue;
      }
      entry = entry.substr(1, close - 1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {  // "host:port"
      const auto colon = entry.find(':');
      if (!(want_port = port_of(entry.substr(colon + 1)))) continue;
      entry.resize(colon);
    }
    if (want_port && *want_port != port) continue;
    if (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
    if (entry.empty()) continue;
    if (host == entry) return true;
    if (host.size() > entry.size() &&
        host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
        host[host.size() - entry.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

result<std::optional<http_proxy>> http_proxy_for(std::string_view host, std::uint16_t port,
                                                 const char* (*getenv_fn)(const char*)) {
  auto p = http_proxy_from_env(getenv_fn);
  if (!p || !p->has_value()) return p;
  for (const char* name : {"NO_PROXY", "no_proxy"}) {
    const char* v = getenv_fn ? getenv_fn(name) : std::getenv(name);
    if (v != nullptr && *v != '\0' && no_proxy_matches(v, host, port)) {
      return std::optional<http_proxy>();
    }
  }
  return p;
}

}  // namespace tp::config
