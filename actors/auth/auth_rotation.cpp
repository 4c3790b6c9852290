// auth_core's part in CA rotation: `tctl auth rotate`, the automatic schedule,
// the state hosts poll, and hosts renewing their certificates.
#include <spdlog/spdlog.h>

#include "actors/auth/auth_core.hpp"
#include "actors/auth/ca_rotation.hpp"
#include "actors/auth/ca_sign.hpp"
#include "transport/ssh_cert.hpp"
#include "transport/x509_ca.hpp"

namespace tp::actors::auth {

using namespace tp::messages;

namespace {

std::int64_t unix_of(const timestamp& t) {
  return t.is_zero() ? 0 : t.unix_seconds;
}

ca_rotation_info info_of(ca_type type, const rotation& r,
                         const std::vector<transport::public_key>& trusted) {
  ca_rotation_info out;
  out.type = std::string(to_string(type));
  out.state = r.state.empty() ? "standby" : r.state;
  out.phase = phase_of(r);
  out.mode = r.mode;
  out.current_id = r.current_id;
  out.started_unix = unix_of(r.started);
  const auto next = next_step_time(r);
  out.next_step_unix =
      next == sys_time{}
          ? 0
          : std::chrono::duration_cast<std::chrono::seconds>(next.time_since_epoch()).count();
  out.grace_period_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(r.grace_period).count();
  out.last_rotated_unix = unix_of(r.last_rotated);
  for (const auto& k : trusted) out.fingerprints.push_back(k.fingerprint());
  return out;
}

api_reply fail(api_errc code, std::string message) {
  return api_error{code, std::move(message)};
}

}  // namespace

rotation_reply auth_core::rotation_status() const {
  rotation_reply out;
  out.cas.push_back(info_of(ca_type::user, cas_.user_rotation, cas_.user_trusted));
  out.cas.push_back(info_of(ca_type::host, cas_.host_rotation, cas_.host_trusted));
  out.keys = public_cas();
  return out;
}

bool auth_core::reload_cas() {
  auto stored = stored_ca_bytes(*db_, cas_.cluster_name);
  if (!stored) {
    spdlog::warn("cannot check the CAs for changes: {}", stored.message());
    return false;
  }
  if (stored->first == cas_.user_raw && stored->second == cas_.host_raw) return false;
  auto fresh = load_or_create_cas(*db_, cas_.cluster_name);
  if (!fresh) {
    // Keep signing with what we have: a damaged record must not stop the cluster.
    spdlog::error("the stored CAs changed but cannot be used: {}", fresh.message());
    return false;
  }
  cas_ = std::move(*fresh);
  spdlog::info("CAs reloaded: user CA phase {} (signs with {}), host CA phase {} (signs with {})",
               phase_of(cas_.user_rotation), cas_.user.pub().fingerprint(),
               phase_of(cas_.host_rotation), cas_.host.pub().fingerprint());
  if (on_cas_changed_) on_cas_changed_(*this);
  return true;
}

void auth_core::tick(sys_time now) {
  for (auto type : {ca_type::user, ca_type::host}) {
    const auto& r = type == ca_type::user ? cas_.user_rotation : cas_.host_rotation;
    auto due = due_phase(r, now);
    if (!due) continue;
    auto stored = update_ca_record(*db_, type, cas_.cluster_name,
                                   [now](const cert_authority& ca) -> tp::result<cert_authority> {
                                     auto next = auto_advance(ca, now);
                                     if (!next) return make_error("no step is due any more");
                                     return std::move(*next);
                                   });
    if (stored) {
      spdlog::info("rotation of the {} CA: phase {} (automatic)", to_string(type),
                   phase_of(stored->spec.rotation_state));
    } else {
      spdlog::debug("rotation of the {} CA not moved on: {}", to_string(type), stored.message());
    }
  }
  reload_cas();
}

api_reply auth_core::rotate(const rotate_ca_request& r, sys_time now) {
  std::vector<ca_type> types;
  if (r.type.empty()) {
    types = {ca_type::user, ca_type::host};
  } else if (auto t = parse_ca_type(r.type)) {
    types = {*t};
  } else {
    return fail(api_errc::bad_parameter, "unknown CA type \"" + r.type + "\"; use user or host");
  }
  rotate_params p;
  p.mode = r.mode.empty() ? "auto" : r.mode;
  p.phase = r.phase;
  if (r.grace_period_seconds >= 0) p.grace_period = std::chrono::seconds{r.grace_period_seconds};
  if (p.mode == "manual" && types.size() > 1)
    return fail(api_errc::bad_parameter, "a manual rotation needs --type=user or --type=host");
  // Check every CA can take the step before changing any: all or nothing.
  for (auto type : types) {
    auto current = load_ca_record(*db_, type, cas_.cluster_name);
    if (!current) return fail(api_errc::internal, current.message());
    if (auto check = rotate_ca(*current, p, now, generate_ca); !check)
      return fail(api_errc::bad_parameter, check.message());
  }
  for (auto type : types) {
    auto stored = update_ca_record(*db_, type, cas_.cluster_name, [&](const cert_authority& ca) {
      return rotate_ca(ca, p, now, generate_ca);
    });
    if (!stored) return fail(api_errc::bad_parameter, stored.message());
    spdlog::info("rotation of the {} CA: phase {} ({}{})", to_string(type),
                 phase_of(stored->spec.rotation_state), p.mode,
                 p.mode == "auto"
                     ? ", grace period " + std::to_string(p.grace_period.count()) + " s"
                     : std::string());
  }
  reload_cas();
  return rotation_status();
}

api_reply auth_core::renew(const caller& who, const renew_identity_request& r, sys_time now) {
  auto cert = transport::parse_certificate_line(r.ssh_certificate);
  if (!cert) return fail(api_errc::bad_parameter, "host certificate: " + cert.message());
  transport::verify_options vo;
  for (const auto& k : cas_.host_trusted) vo.trusted_ca_blobs.push_back(k.blob());
  vo.expected_kind = transport::cert_type::host;
  vo.principal = who.name;
  vo.now = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  if (auto st = transport::verify_certificate(*cert, vo); !st)
    return fail(api_errc::access_denied,
                "the host certificate presented for renewal: " + st.message());
  // Renewal exists for rotations: a certificate of the CA that signs now stays as it is.
  if (cert->signature_key == cas_.host.pub())
    return fail(api_errc::bad_parameter,
                "the host certificate is already signed by the current host CA");
  if (cert->key_id != who.name)
    return fail(api_errc::access_denied, "the host certificate belongs to \"" + cert->key_id +
                                             "\", not to the caller \"" + who.name + "\"");
  auto tls_key = transport::x509_public_key::from_pem(r.tls_public_key_pem);
  if (!tls_key) return fail(api_errc::bad_parameter, "TLS public key: " + tls_key.message());
  const std::string role = who.has_role("proxy") ? "proxy" : "node";

  host_cert_request hr;
  hr.host_id = who.name;
  hr.extra_principals = cert->principals;  // the names it was given when it joined
  auto ssh_cert = sign_host_certificate(cas_, cert->key, hr, now);
  if (!ssh_cert) return fail(api_errc::bad_parameter, ssh_cert.message());
  auto tls_cert = issue_tls_cert_pem(*tls_key, who.name, {role},
                                     tls_host_names(host_principals(hr, cas_.cluster_name)), now);
  if (!tls_cert) return fail(api_errc::bad_parameter, tls_cert.message());
  spdlog::info("{} {} renewed its certificates with the host CA {}", role, who.name,
               cas_.host.pub().fingerprint());
  return join_reply{who.name, role, std::move(*ssh_cert), std::move(*tls_cert), public_cas()};
}

}  // namespace tp::actors::auth
