#include "apps/tsh/nodes.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "config/address.hpp"
#include "transport/ssh_key.hpp"

namespace tp::apps::tsh {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool iequal(std::string_view a, std::string_view b) {
  return lower(a) == lower(b);
}

}  // namespace

std::string node_info::addr_host() const {
  auto a = config::parse_address(addr, config::default_node_ssh_port);
  return a ? a->host : std::string();
}

std::uint16_t node_info::addr_port() const {
  auto a = config::parse_address(addr, config::default_node_ssh_port);
  return a ? a->port : config::default_node_ssh_port;
}

bool is_safe_host_token(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

result<std::vector<node_info>> parse_nodes(std::string_view json, std::size_t* skipped) {
  std::size_t dropped = 0;
  std::vector<node_info> out;
  try {
    const auto j = nlohmann::json::parse(json);
    if (!j.is_array()) return make_error("the proxy's node list is not a JSON array");
    for (const auto& e : j) {
      if (!e.is_object()) {
        ++dropped;
        continue;
      }
      node_info n;
      n.hostname = e.value("hostname", "");
      n.id = e.value("id", "");
      n.addr = e.value("addr", "");
      if (e.contains("labels") && e.at("labels").is_object()) {
        for (const auto& [k, v] : e.at("labels").items()) {
          if (v.is_string()) n.labels[k] = v.get<std::string>();
        }
      }
      auto key = transport::public_key::from_authorized_key(e.value("host_key", ""));
      const bool ok = is_safe_host_token(n.hostname) && is_safe_host_token(n.id) &&
                      config::parse_address(n.addr, config::default_node_ssh_port).ok() && key.ok();
      if (!ok) {
        ++dropped;
        continue;
      }
      n.host_key = key->authorized_key();
      const auto rec = e.find("recording_proxy");
      n.recording_proxy = rec != e.end() && rec->is_boolean() && rec->get<bool>();
      out.push_back(std::move(n));
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error(std::string("the proxy's node list is not valid JSON: ") + e.what());
  }
  std::sort(out.begin(), out.end(), [](const node_info& a, const node_info& b) {
    return std::tie(a.hostname, a.id) < std::tie(b.hostname, b.id);
  });
  if (skipped != nullptr) *skipped = dropped;
  return out;
}

result<label_selector> parse_label_selector(const std::vector<std::string>& terms) {
  label_selector sel;
  for (const auto& term : terms) {
    std::size_t start = 0;
    while (start <= term.size()) {
      const std::size_t comma = std::min(term.find(',', start), term.size());
      const std::string part = term.substr(start, comma - start);
      start = comma + 1;
      if (part.empty()) continue;
      const auto eq = part.find('=');
      if (eq == std::string::npos || eq == 0) {
        return make_error("\"" + part + "\" is not a label selector: use key=value");
      }
      sel[part.substr(0, eq)] = part.substr(eq + 1);
    }
  }
  return sel;
}

bool matches(const node_info& n, const label_selector& sel) {
  for (const auto& [k, v] : sel) {
    auto it = n.labels.find(k);
    if (it == n.labels.end() || it->second != v) return false;
  }
  return true;
}

std::vector<node_info> select_nodes(const std::vector<node_info>& nodes,
                                    const label_selector& sel) {
  std::vector<node_info> out;
  for (const auto& n : nodes) {
    if (matches(n, sel)) out.push_back(n);
  }
  return out;
}

result<node_info> find_node(const std::vector<node_info>& nodes, std::string_view name,
                            std::string_view cluster) {
  const error not_found = make_error("node " + std::string(name) + " not found");
  if (name.empty()) return not_found;
  // IDs are unique; names and addresses may not be, and a guess could open the wrong host.
  for (const auto& n : nodes) {
    if (iequal(n.id, name)) return n;
  }
  std::vector<node_info> found;
  for (const auto& n : nodes) {
    const bool hit = iequal(n.hostname, name) ||
                     (!cluster.empty() && iequal(n.hostname + "." + std::string(cluster), name)) ||
                     iequal(n.addr_host(), name);
    if (hit) found.push_back(n);
  }
  if (found.empty()) return not_found;
  if (found.size() > 1) {
    std::string ids;
    for (const auto& n : found) ids += (ids.empty() ? "" : ", ") + n.id;
    return make_error("several nodes are called " + std::string(name) +
                      "; name one by its node ID: " + ids);
  }
  return found.front();
}

std::string format_labels(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ',';
    out += k + "=" + v;
  }
  return out;
}

}  // namespace tp::apps::tsh
