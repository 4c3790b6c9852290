#include "config/http_proxy.hpp"

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

}  // namespace tp::config
