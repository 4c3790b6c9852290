#include "messages/trusted_cluster.hpp"

#include "messages/tree_reader.hpp"
#include "messages/tree_writer.hpp"

namespace tp::messages {
namespace {

// "host:port" with a non-empty host and a port in 1..65535 ("[::1]:3080" too).
bool valid_host_port(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size() || colon + 6 < s.size()) {
    return false;
  }
  unsigned port = 0;
  for (std::size_t i = colon + 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    port = port * 10 + static_cast<unsigned>(s[i] - '0');
  }
  if (port == 0 || port > 65535) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u <= 0x20 || u == 0x7f || s[i] == '/') return false;
  }
  return true;
}

}  // namespace

void decode_spec(map_reader& in, trusted_cluster& res) {
  trusted_cluster_spec& out = res.spec;
  in.read("enabled", out.enabled);
  in.read("roles", out.roles);
  check_names(in, "roles", out.roles, "role name");
  decode_role_map(in, out.role_map);
  in.read("token", out.token);
  in.read("tunnel_addr", out.tunnel_addr);
  in.read("web_proxy_addr", out.web_proxy_addr);
  if (in.failed()) return;
  if (out.token.empty()) in.fail("token", "missing (the join token of the trusted cluster)");
  if (out.web_proxy_addr.empty()) {
    in.fail("web_proxy_addr", "missing (host:port of the trusted cluster's web proxy)");
  } else if (!valid_host_port(out.web_proxy_addr)) {
    in.fail("web_proxy_addr", "expected host:port, got \"" + out.web_proxy_addr + "\"");
  }
  if (!out.tunnel_addr.empty() && !valid_host_port(out.tunnel_addr)) {
    in.fail("tunnel_addr", "expected host:port, got \"" + out.tunnel_addr + "\"");
  }
}

tree encode_spec(const trusted_cluster& res) {
  const trusted_cluster_spec& in = res.spec;
  tree spec = tree::object();
  spec["enabled"] = in.enabled;
  spec["token"] = in.token;
  put_nonempty(spec, "tunnel_addr", in.tunnel_addr);
  spec["web_proxy_addr"] = in.web_proxy_addr;
  put_nonempty(spec, "roles", in.roles);
  put_nonempty(spec, "role_map", encode_role_map(in.role_map));
  return spec;
}

}  // namespace tp::messages
