#include "actors/auth/ca_rotation.hpp"

#include <algorithm>
#include <utility>

#include "actors/identity/secrets.hpp"

namespace tp::actors::auth {
namespace {

using messages::cert_authority;
using messages::rotation;
using messages::timestamp;

constexpr const char* k_order = "standby -> init -> update_clients -> update_servers -> standby";

template <class T>
void swap_first_two(std::vector<T>& v) {
  if (v.size() >= 2) std::swap(v[0], v[1]);
}

template <class T>
void keep_first(std::vector<T>& v) {
  if (v.size() > 1) v.resize(1);
}

// The first two entries of every key list trade places (old <-> new signer).
void swap_signer(cert_authority& ca) {
  swap_first_two(ca.spec.checking_keys);
  swap_first_two(ca.spec.signing_keys);
  swap_first_two(ca.spec.tls_key_pairs);
}

void drop_all_but_signer(cert_authority& ca) {
  keep_first(ca.spec.checking_keys);
  keep_first(ca.spec.signing_keys);
  keep_first(ca.spec.tls_key_pairs);
}

bool has_both_generations(const cert_authority& ca) {
  if (ca.spec.checking_keys.size() < 2 || ca.spec.signing_keys.size() < 2) return false;
  return ca.spec.type != messages::ca_type::host || ca.spec.tls_key_pairs.size() >= 2;
}

std::string type_name(const cert_authority& ca) {
  return std::string(messages::to_string(ca.spec.type)) + " CA";
}

tp::result<cert_authority> start(const cert_authority& ca, const rotate_params& p, sys_time now,
                                 const ca_generator& generate) {
  if (ca.spec.signing_keys.empty() || ca.spec.checking_keys.empty())
    return make_error("the " + type_name(ca) + " of \"" + ca.meta.name +
                      "\" has no signing key here, so this auth server cannot rotate it");
  auto fresh = generate(ca.spec.type, ca.spec.cluster_name);
  if (!fresh)
    return make_error("cannot generate the new " + type_name(ca) + ": " + fresh.message());
  cert_authority out = ca;
  // A CA that was stopped mid-rotation by hand (several keys) starts from its signer.
  drop_all_but_signer(out);
  out.spec.checking_keys.push_back(fresh->spec.checking_keys.front());
  out.spec.signing_keys.push_back(fresh->spec.signing_keys.front());
  if (ca.spec.type == messages::ca_type::host) {
    if (fresh->spec.tls_key_pairs.empty()) return make_error("the new host CA has no TLS CA");
    if (out.spec.tls_key_pairs.empty()) return make_error("the host CA has no TLS CA to rotate");
    out.spec.tls_key_pairs.push_back(fresh->spec.tls_key_pairs.front());
  }
  rotation r;
  r.state = "in_progress";
  r.phase = "init";
  r.mode = p.mode;
  r.current_id = random_uuid();
  r.started = timestamp::from_time_point(now);
  r.grace_period = p.grace_period;
  r.last_rotated = ca.spec.rotation_state.last_rotated;
  if (p.mode == "auto") {
    const auto g = std::chrono::duration_cast<std::chrono::system_clock::duration>(p.grace_period);
    r.schedule.update_clients = timestamp::from_time_point(now + g / 3);
    r.schedule.update_servers = timestamp::from_time_point(now + (g * 2) / 3);
    r.schedule.standby = timestamp::from_time_point(now + g);
  }
  out.spec.rotation_state = std::move(r);
  return out;
}

// One step of a rotation in progress to `target`; the caller checked it is allowed.
cert_authority step(const cert_authority& ca, const std::string& target, sys_time now) {
  cert_authority out = ca;
  rotation& r = out.spec.rotation_state;
  const std::string from = phase_of(r);
  if (target == "update_clients") {
    swap_signer(out);  // [old, new] -> [new, old]
  } else if (target == "rollback") {
    if (from != "init") swap_signer(out);  // the old CA signs again; the new stays trusted
  } else if (target == "standby") {
    drop_all_but_signer(out);
    const bool completed = from == "update_servers";
    if (completed) r.last_rotated = timestamp::from_time_point(now);
    r.state = "standby";
    r.mode.clear();
    r.schedule = {};
  }
  r.phase = target;
  return out;
}

// The phases a rotation in `from` may move to by hand.
std::vector<std::string> allowed_after(const std::string& from) {
  if (from == "standby") return {"init"};
  if (from == "init") return {"update_clients", "rollback"};
  if (from == "update_clients") return {"update_servers", "rollback"};
  if (from == "update_servers") return {"standby", "rollback"};
  if (from == "rollback") return {"standby"};
  return {};
}

// In an automatic rotation, the next phase and when the schedule says it begins.
std::optional<std::pair<std::string, timestamp>> scheduled_step(const rotation& r) {
  if (r.mode != "auto" || r.state != "in_progress") return std::nullopt;
  const std::string from = phase_of(r);
  if (from == "init") return std::pair{std::string("update_clients"), r.schedule.update_clients};
  if (from == "update_clients")
    return std::pair{std::string("update_servers"), r.schedule.update_servers};
  if (from == "update_servers") return std::pair{std::string("standby"), r.schedule.standby};
  return std::nullopt;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " or ") + s;
  return out;
}

}  // namespace

std::string phase_of(const rotation& r) {
  return r.phase.empty() ? "standby" : r.phase;
}

tp::result<cert_authority> rotate_ca(const cert_authority& ca, const rotate_params& p, sys_time now,
                                     const ca_generator& generate) {
  if (p.mode != "auto" && p.mode != "manual")
    return make_error("unknown rotation mode \"" + p.mode + "\"; use auto or manual");
  if (p.grace_period.count() < 0) return make_error("the grace period must not be negative");
  const std::string from = phase_of(ca.spec.rotation_state);
  const bool idle = from == "standby";
  if (p.mode == "auto") {
    if (!p.phase.empty()) return make_error("--phase needs --manual");
    if (p.grace_period < min_auto_grace_period)
      return make_error("the grace period must be at least " +
                        std::to_string(min_auto_grace_period.count()) +
                        "s, so that every host renews its certificates in time; for an "
                        "immediate change use --manual");
    if (!idle)
      return make_error("a rotation of the " + type_name(ca) + " is in progress (phase " + from +
                        "); wait for it to end, or move it on with --manual --phase=" +
                        join(allowed_after(from)));
    return start(ca, p, now, generate);
  }
  if (p.phase.empty())
    return make_error("--manual needs --phase=init|update_clients|update_servers|standby|rollback");
  auto allowed = allowed_after(from);
  if (std::find(allowed.begin(), allowed.end(), p.phase) == allowed.end()) {
    if (allowed_after(p.phase).empty() && p.phase != "standby")
      return make_error("unknown rotation phase \"" + p.phase +
                        "\"; the phases are init, update_clients, update_servers, standby "
                        "and rollback");
    return make_error("the " + type_name(ca) + " is in phase " + from + "; it can move to " +
                      join(allowed) + ", not to " + p.phase + " (" + k_order + ")");
  }
  if (p.phase == "init") return start(ca, p, now, generate);
  if (!has_both_generations(ca))
    return make_error("the " + type_name(ca) + " is in phase " + from +
                      " but does not hold an old and a new key; roll back or restore it");
  cert_authority out = step(ca, p.phase, now);
  out.spec.rotation_state.mode = p.phase == "standby" ? "" : "manual";
  return out;
}

std::optional<std::string> due_phase(const rotation& r, sys_time now) {
  auto next = scheduled_step(r);
  if (!next || next->second.to_time_point() > now) return std::nullopt;
  return next->first;
}

std::optional<cert_authority> auto_advance(const cert_authority& ca, sys_time now) {
  auto next = due_phase(ca.spec.rotation_state, now);
  if (!next || !has_both_generations(ca)) return std::nullopt;
  return step(ca, *next, now);
}

sys_time next_step_time(const rotation& r) {
  auto next = scheduled_step(r);
  return next ? next->second.to_time_point() : sys_time{};
}

}  // namespace tp::actors::auth
