// tctl auth rotate, and the CA rotation lines of tctl status.
#include <iostream>

#include "apps/tctl/commands.hpp"
#include "config/duration.hpp"

namespace tp::apps::tctl {

using namespace tp::messages;

namespace {

std::string utc(std::int64_t unix_seconds) {
  return utc_text(unix_seconds, "%Y-%m-%d %H:%M:%S UTC");
}

std::string next_phase(const std::string& phase) {
  if (phase == "init") return "update_clients";
  if (phase == "update_clients") return "update_servers";
  if (phase == "update_servers") return "standby";
  return "";
}

}  // namespace

void print_rotation(const rotation_reply& r) {
  for (const auto& ca : r.cas) {
    std::string line = "rotation ";
    if (ca.state == "in_progress") {
      line += "in progress, phase " + ca.phase + " (" + ca.mode + ")";
      if (ca.next_step_unix != 0)
        line += ", " + next_phase(ca.phase) + " at " + utc(ca.next_step_unix);
    } else {
      line += "standby, last rotated " + utc(ca.last_rotated_unix);
    }
    std::cout << (ca.type == "user" ? "User CA  " : "Host CA  ") << line << "\n";
    if (ca.fingerprints.size() > 1) {
      std::cout << "         trusted: " << ca.fingerprints[0] << " (signs)";
      for (std::size_t i = 1; i < ca.fingerprints.size(); ++i)
        std::cout << ", " << ca.fingerprints[i];
      std::cout << "\n";
    }
  }
}

int cmd_auth_rotate(context& ctx, const rotate_flags& f) {
  rotate_ca_request req;
  req.type = f.type;
  req.mode = f.manual ? "manual" : "auto";
  req.phase = f.phase;
  if (!f.grace_period.empty()) {
    auto d = config::parse_duration(f.grace_period);
    if (!d) return fail("--grace-period: " + d.message());
    req.grace_period_seconds = std::chrono::duration_cast<std::chrono::seconds>(*d).count();
  }
  if (!f.phase.empty() && !f.manual) return fail("--phase needs --manual");
  if (f.manual && f.phase.empty())
    return fail("--manual needs --phase=init|update_clients|update_servers|standby|rollback");
  if (f.manual && f.type.empty()) return fail("a manual rotation needs --type=user or --type=host");
  auto reply = ctx.client->call_as(std::move(req));
  if (!reply) return fail(reply.message());
  if (f.manual) {
    std::cout << "Updated rotation phase to \"" << f.phase
              << "\". To check status use 'tctl status'\n";
  } else {
    std::cout << "Initiated certificate authority rotation. To check status use 'tctl status'\n";
  }
  return 0;
}

}  // namespace tp::apps::tctl
