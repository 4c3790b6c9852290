#include "actors/host/outbound_proxy.hpp"

#include "config/http_proxy.hpp"

namespace tp::actors {

tp::result<std::optional<transport::connect_proxy>> outbound_proxy_for(std::string_view host,
                                                                       std::uint16_t port) {
  auto p = config::http_proxy_for(host, port);
  if (!p) return p.err();
  if (!p->has_value()) return std::optional<transport::connect_proxy>{};
  const auto& proxy = **p;
  if (proxy.scheme != "http") {
    return make_error("the proxy " + proxy.scheme + "://" + proxy.addr.to_string() +
                      " is not supported: use an http:// proxy that allows CONNECT");
  }
  return std::optional<transport::connect_proxy>{
      transport::connect_proxy{proxy.addr.host, proxy.addr.port}};
}

tp::status check_outbound_proxy() {
  auto p = outbound_proxy_for("", 0);
  if (!p) return make_error("HTTPS_PROXY/HTTP_PROXY: " + p.message());
  return {};
}

}  // namespace tp::actors
