#include "apps/tsh/known_hosts.hpp"

#include <algorithm>
#include <sstream>

#include "transport/key_files.hpp"
#include "transport/ssh_key.hpp"

namespace tp::apps::tsh {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_file = 8 << 20;

std::string tag(std::string_view kind, std::string_view proxy_name) {
  return "tsh/" + std::string(kind) + "/" + std::string(proxy_name);
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The tag comment of a line tsh wrote, or "" for anything else.
std::string tag_of(std::string_view line) {
  const auto w = words(line);
  if (w.empty() || w.back().rfind("tsh/", 0) != 0) return {};
  return w.back();
}

result<std::vector<std::string>> read_lines(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::vector<std::string>{};
  auto text = transport::read_small_file(file, k_max_file);
  if (!text) return text.err();
  std::vector<std::string> lines;
  std::istringstream in(*text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

status rewrite(const fs::path& file, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return transport::write_file_atomically(file, text, 0600);
}

result<std::string> canonical_key(std::string_view key) {
  auto k = transport::public_key::from_authorized_key(key);
  if (!k)
    return make_error("malformed host key \"" + std::string(key.substr(0, 40)) +
                      "\": " + k.message());
  return k->authorized_key();
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// OpenSSH's wildcards: '*' and '?' only ("[host]:port" is literal, unlike fnmatch).
bool wildcard_match(std::string_view p, std::string_view s) {
  std::size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

// OpenSSH's rule: some positive pattern matches and no negated one does.
bool patterns_match(std::string_view patterns, const std::string& name) {
  bool positive = false;
  std::size_t start = 0;
  while (start <= patterns.size()) {
    const std::size_t comma = std::min(patterns.find(',', start), patterns.size());
    std::string p = lower(patterns.substr(start, comma - start));
    start = comma + 1;
    if (p.empty()) continue;
    const bool negated = p.front() == '!';
    if (negated) p.erase(0, 1);
    if (wildcard_match(p, name)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

}  // namespace

std::string known_host_name(std::string_view host, std::uint16_t port) {
  if (port == 22) return std::string(host);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

result<std::string> proxy_entry(std::string_view proxy_name, std::string_view ssh_host,
                                std::uint16_t ssh_port, std::string_view host_key) {
  auto key = canonical_key(host_key);
  if (!key) return make_error("the proxy's SSH host key: " + key.message());
  return known_host_name(ssh_host, ssh_port) + " " + *key + " " + tag("proxy", proxy_name);
}

result<std::string> host_ca_entry(std::string_view proxy_name, std::string_view cluster,
                                  std::string_view ca_key) {
  if (!is_safe_host_token(cluster)) {
    return make_error("the cluster name \"" + std::string(cluster) +
                      "\" cannot be used as a host pattern");
  }
  auto key = canonical_key(ca_key);
  if (!key) return make_error("the cluster's host CA: " + key.message());
  return "@cert-authority *." + std::string(cluster) + " " + *key + " " + tag("ca", proxy_name);
}

std::string node_entry(std::string_view proxy_name, std::string_view cluster, const node_info& n,
                       std::string_view kind) {
  std::vector<std::string> names{n.hostname, n.id};
  if (is_safe_host_token(cluster)) names.push_back(n.hostname + "." + std::string(cluster));
  const std::size_t plain = names.size();
  // Users may also name the node's own port (tsh ssh -p 3022 luna).
  if (n.addr_port() != 22) {
    for (std::size_t i = 0; i < plain; ++i)
      names.push_back(known_host_name(names[i], n.addr_port()));
  }
  std::string line;
  for (const auto& name : names) line += (line.empty() ? "" : ",") + name;
  return line + " " + n.host_key + " " + tag(kind, proxy_name);
}

status replace_entries(const fs::path& file, std::string_view proxy_name, std::string_view kind,
                       const std::vector<std::string>& lines) {
  auto old = read_lines(file);
  if (!old) return old.err();
  const std::string mine = tag(kind, proxy_name);
  std::vector<std::string> out;
  for (auto& l : *old) {
    if (tag_of(l) != mine) out.push_back(std::move(l));
  }
  out.insert(out.end(), lines.begin(), lines.end());
  return rewrite(file, out);
}

status remove_entries(const fs::path& file, std::string_view proxy_name) {
  auto old = read_lines(file);
  if (!old) return old.err();
  std::vector<std::string> out;
  const std::string suffix = "/" + std::string(proxy_name);
  for (auto& l : *old) {
    const std::string t = tag_of(l);
    const bool mine = !t.empty() && t.size() > suffix.size() &&
                      t.compare(t.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                      std::count(t.begin(), t.end(), '/') == 2;
    if (!mine) out.push_back(std::move(l));
  }
  if (out.size() == old->size()) return {};
  return rewrite(file, out);
}

result<std::vector<std::string>> matching_entries(const fs::path& file, std::string_view host,
                                                  std::uint16_t port) {
  auto lines = read_lines(file);
  if (!lines) return lines.err();
  const std::string name = lower(known_host_name(host, port));
  std::vector<std::string> out;
  for (const auto& l : *lines) {
    auto w = words(l);
    if (w.empty() || w[0].front() == '#') continue;
    std::size_t at = 0;
    if (w[0].front() == '@') {
      if (w[0] != "@cert-authority") continue;  // @revoked lines cannot be served usefully
      at = 1;
    }
    if (w.size() < at + 3) continue;
    if (w[at].front() == '|') continue;  // hashed names: only ssh itself can check those
    if (patterns_match(w[at], name)) out.push_back(l);
  }
  return out;
}

}  // namespace tp::apps::tsh
