#include "messages/cert_authority.hpp"

#include <algorithm>

#include "messages/tree_reader.hpp"
#include "messages/tree_writer.hpp"

namespace tp::messages {
namespace {

std::string normalize_alg(std::string alg) {
  if (alg == "RSA_SHA1") return "ssh-rsa";
  if (alg == "RSA_SHA2_256") return "rsa-sha2-256";
  if (alg == "RSA_SHA2_512") return "rsa-sha2-512";
  return alg;
}

bool one_of(const std::string& s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

void decode_rotation(map_reader& r, rotation& out) {
  r.read("state", out.state);
  if (!one_of(out.state, {"", "standby", "in_progress"})) {
    r.fail("state", "expected \"standby\" or \"in_progress\", got \"" + out.state + "\"");
  }
  r.read("phase", out.phase);
  if (!one_of(out.phase, {"", "standby", "init", "update_clients", "update_servers", "rollback"})) {
    r.fail("phase",
           "expected one of: standby, init, update_clients, update_servers, rollback; got \"" +
               out.phase + "\"");
  }
  r.read("mode", out.mode);
  if (!one_of(out.mode, {"", "manual", "auto"})) {
    r.fail("mode", "expected \"manual\" or \"auto\", got \"" + out.mode + "\"");
  }
  r.read("current_id", out.current_id);
  r.read("started", out.started);
  r.read("grace_period", out.grace_period);
  if (out.grace_period.count() < 0) r.fail("grace_period", "must not be negative");
  r.read("last_rotated", out.last_rotated);
  map_reader s = r.child("schedule");
  s.read("update_clients", out.schedule.update_clients);
  s.read("update_servers", out.schedule.update_servers);
  s.read("standby", out.schedule.standby);
  s.finish();
}

tree encode_rotation(const rotation& in) {
  tree out = tree::object();
  put_nonempty(out, "state", in.state);
  put_nonempty(out, "phase", in.phase);
  put_nonempty(out, "mode", in.mode);
  put_nonempty(out, "current_id", in.current_id);
  if (!in.started.is_zero()) put_time(out, "started", in.started);
  if (in.grace_period.count() != 0) put_duration(out, "grace_period", in.grace_period);
  if (!in.last_rotated.is_zero()) put_time(out, "last_rotated", in.last_rotated);
  if (in.schedule != rotation_schedule{}) {
    tree s = tree::object();
    put_time(s, "update_clients", in.schedule.update_clients);
    put_time(s, "update_servers", in.schedule.update_servers);
    put_time(s, "standby", in.schedule.standby);
    out["schedule"] = std::move(s);
  }
  return out;
}

}  // namespace

std::string_view to_string(ca_type t) {
  return t == ca_type::host ? "host" : "user";
}

std::optional<ca_type> parse_ca_type(std::string_view text) {
  if (text == "user") return ca_type::user;
  if (text == "host") return ca_type::host;
  return std::nullopt;
}

void decode_role_map(map_reader& in, std::vector<role_mapping>& out) {
  in.for_each("role_map", [&](map_reader& r) {
    auto& m = out.emplace_back();
    r.read("remote", m.remote);
    r.read("local", m.local);
    if (r.failed()) return;
    if (m.remote.empty()) r.fail("remote", "missing (the remote role, or \"*\")");
    if (m.local.empty()) r.fail("local", "missing (the local roles to map onto)");
    check_names(r, "local", m.local, "role name");
  });
}

tree encode_role_map(const std::vector<role_mapping>& in) {
  tree out = tree::array();
  for (const auto& m : in) out.push_back(tree{{"remote", m.remote}, {"local", m.local}});
  return out;
}

void decode_spec(map_reader& in, cert_authority& res) {
  cert_authority_spec& out = res.spec;
  std::string type;
  in.read("type", type);
  if (!in.failed()) {
    if (auto t = parse_ca_type(type)) {
      out.type = *t;
    } else {
      in.fail("type", type.empty() ? "missing; expected \"user\" or \"host\""
                                   : "expected \"user\" or \"host\", got \"" + type + "\"");
    }
  }
  in.read("cluster_name", out.cluster_name);
  if (out.cluster_name.empty()) out.cluster_name = res.meta.name;
  check_name(in, "cluster_name", out.cluster_name, "cluster name");
  in.read("checking_keys", out.checking_keys);
  in.read("signing_keys", out.signing_keys);
  in.for_each("tls_key_pairs", [&](map_reader& r) {
    auto& kp = out.tls_key_pairs.emplace_back();
    r.read("cert", kp.cert);
    r.read("key", kp.key);
    if (!r.failed() && kp.cert.empty()) r.fail("cert", "missing");
  });
  in.read("roles", out.roles);
  check_names(in, "roles", out.roles, "role name");
  decode_role_map(in, out.role_map);
  in.read("signing_alg", out.signing_alg);
  out.signing_alg = normalize_alg(out.signing_alg);
  if (!out.signing_alg.empty() &&
      std::find(std::begin(ssh_signing_algs), std::end(ssh_signing_algs), out.signing_alg) ==
          std::end(ssh_signing_algs)) {
    std::string known;
    for (auto a : ssh_signing_algs) known += (known.empty() ? "" : ", ") + std::string(a);
    in.fail("signing_alg",
            "unknown algorithm \"" + out.signing_alg + "\"; expected one of: " + known);
  }
  map_reader rot = in.child("rotation");
  decode_rotation(rot, out.rotation_state);
  rot.finish();
}

tree encode_spec(const cert_authority& res) {
  const cert_authority_spec& in = res.spec;
  tree spec = tree::object();
  spec["type"] = to_string(in.type);
  spec["cluster_name"] = in.cluster_name;
  put_nonempty(spec, "checking_keys", in.checking_keys);
  put_nonempty(spec, "signing_keys", in.signing_keys);
  if (!in.tls_key_pairs.empty()) {
    tree pairs = tree::array();
    for (const auto& kp : in.tls_key_pairs) {
      tree p = tree{{"cert", kp.cert}};
      put_nonempty(p, "key", kp.key);
      pairs.push_back(std::move(p));
    }
    spec["tls_key_pairs"] = std::move(pairs);
  }
  put_nonempty(spec, "roles", in.roles);
  put_nonempty(spec, "role_map", encode_role_map(in.role_map));
  put_nonempty(spec, "signing_alg", in.signing_alg);
  put_nonempty(spec, "rotation", encode_rotation(in.rotation_state));
  return spec;
}

void clear_secrets(cert_authority& r) {
  r.spec.signing_keys.clear();
  for (auto& kp : r.spec.tls_key_pairs) kp.key.clear();
}

}  // namespace tp::messages
