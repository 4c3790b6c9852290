#include "messages/role.hpp"

#include <algorithm>

#include "messages/duration.hpp"
#include "messages/tree_reader.hpp"
#include "messages/tree_writer.hpp"

namespace tp::messages {
namespace {

template <std::size_t N>
bool contains(const std::string_view (&set)[N], std::string_view s) {
  return std::find(std::begin(set), std::end(set), s) != std::end(set);
}

template <std::size_t N>
std::string join(const std::string_view (&set)[N]) {
  std::string out;
  for (auto s : set) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

void decode_options(map_reader& r, role_options& o) {
  r.read("max_session_ttl", o.max_session_ttl);
  if (!r.failed() &&
      (o.max_session_ttl < min_session_ttl_limit || o.max_session_ttl > max_session_ttl_limit)) {
    r.fail("max_session_ttl", "must be between " + format_duration(min_session_ttl_limit) +
                                  " and " + format_duration(max_session_ttl_limit) + ", got " +
                                  format_duration(o.max_session_ttl));
  }
  r.read("forward_agent", o.forward_agent);
  r.read("port_forwarding", o.port_forwarding);
  r.read("cert_format", o.cert_format);
  if (!r.failed() && o.cert_format != "standard" && o.cert_format != "oldssh") {
    r.fail("cert_format", "expected \"standard\" or \"oldssh\", got \"" + o.cert_format + "\"");
  }
  r.read("client_idle_timeout", o.client_idle_timeout);
  if (!r.failed() && o.client_idle_timeout.count() < 0) {
    r.fail("client_idle_timeout", "must not be negative");
  }
  r.read("disconnect_expired_cert", o.disconnect_expired_cert);
}

void decode_rule(map_reader& r, role_rule& rule) {
  r.read("resources", rule.resources);
  r.read("verbs", rule.verbs);
  r.read("where", rule.where);
  r.read("actions", rule.actions);
  if (r.failed()) return;
  if (rule.resources.empty()) r.fail("resources", "a rule needs at least one resource");
  if (rule.verbs.empty()) r.fail("verbs", "a rule needs at least one verb");
  for (std::size_t i = 0; i < rule.resources.size(); ++i) {
    const auto& res = rule.resources[i];
    if (res != "*" && !contains(role_rule_resources, res)) {
      r.fail("resources[" + std::to_string(i) + "]",
             "unknown resource \"" + res +
                 "\"; expected \"*\" or one of: " + join(role_rule_resources));
    }
  }
  for (std::size_t i = 0; i < rule.verbs.size(); ++i) {
    const auto& verb = rule.verbs[i];
    if (verb != "*" && !contains(role_verbs, verb)) {
      r.fail("verbs[" + std::to_string(i) + "]",
             "unknown verb \"" + verb + "\"; expected \"*\" or one of: " + join(role_verbs));
    }
  }
}

void decode_conditions(map_reader& r, role_conditions& c) {
  r.read("logins", c.logins);
  for (std::size_t i = 0; i < c.logins.size(); ++i) {
    // Logins may be templates ("{{internal.logins}}"), so only reject what never works.
    if (c.logins[i].empty() || c.logins[i].find_first_of(" \t\n/") != std::string::npos) {
      r.fail("logins[" + std::to_string(i) + "]",
             "invalid login \"" + c.logins[i] + "\": must be non-empty without '/' or spaces");
    }
  }
  r.read("namespaces", c.namespaces);
  r.read("node_labels", c.node_labels, true);
  for (const auto& [key, values] : c.node_labels) {
    if (auto st = validate_label_key(key); !st) r.fail("node_labels." + key, st.message());
  }
  r.for_each("rules", [&](map_reader& item) { decode_rule(item, c.rules.emplace_back()); });
  r.read("kubernetes_groups", c.kubernetes_groups);
}

tree encode_conditions(const role_conditions& c) {
  tree out = tree::object();
  put_nonempty(out, "logins", c.logins);
  if (!c.node_labels.empty()) {
    tree labels = tree::object();
    // One value prints as a plain string, as the manual's examples write it.
    for (const auto& [k, v] : c.node_labels) labels[k] = v.size() == 1 ? tree(v.front()) : tree(v);
    out["node_labels"] = std::move(labels);
  }
  put_nonempty(out, "namespaces", c.namespaces);
  if (!c.rules.empty()) {
    tree rules = tree::array();
    for (const auto& rule : c.rules) {
      tree r = tree::object();
      r["resources"] = rule.resources;
      r["verbs"] = rule.verbs;
      put_nonempty(r, "where", rule.where);
      put_nonempty(r, "actions", rule.actions);
      rules.push_back(std::move(r));
    }
    out["rules"] = std::move(rules);
  }
  put_nonempty(out, "kubernetes_groups", c.kubernetes_groups);
  return out;
}

}  // namespace

role make_admin_role() {
  role r;
  r.meta.name = "admin";
  r.spec.options.forward_agent = true;
  r.spec.allow.logins = {"{{internal.logins}}"};
  r.spec.allow.node_labels = {{"*", {"*"}}};
  r.spec.allow.namespaces = {"*"};
  r.spec.allow.rules = {role_rule{{"*"}, {"*"}, {}, {}}};
  return r;
}

void decode_spec(map_reader& in, role& res) {
  role_spec& out = res.spec;
  {
    map_reader o = in.child("options");
    decode_options(o, out.options);
    o.finish();
  }
  for (const char* key : {"allow", "deny"}) {
    map_reader c = in.child(key);
    decode_conditions(c, key[0] == 'a' ? out.allow : out.deny);
    c.finish();
  }
}

tree encode_spec(const role& res) {
  const role_spec& in = res.spec;
  tree options = tree::object();
  options["cert_format"] = in.options.cert_format;
  if (in.options.client_idle_timeout.count() != 0) {
    put_duration(options, "client_idle_timeout", in.options.client_idle_timeout);
  }
  if (in.options.disconnect_expired_cert) options["disconnect_expired_cert"] = true;
  options["forward_agent"] = in.options.forward_agent;
  put_duration(options, "max_session_ttl", in.options.max_session_ttl);
  options["port_forwarding"] = in.options.port_forwarding;
  return tree{{"options", std::move(options)},
              {"allow", encode_conditions(in.allow)},
              {"deny", encode_conditions(in.deny)}};
}

}  // namespace tp::messages
