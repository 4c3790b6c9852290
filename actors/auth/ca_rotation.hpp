// CA rotation (`tctl auth rotate`) as a pure state machine over one
// cert_authority record. The record's key lists keep the key that signs first:
//
//   phase            checking/signing keys, tls_key_pairs   signs with
//   standby          [current]                              current
//   init             [old, new]                             old (new is only trusted)
//   update_clients   [new, old]                             new (hosts renew their certs)
//   update_servers   [new, old]                             new (servers present new certs)
//   rollback         [old, new]                             old (hosts renew back)
//   standby (done)   [first]                                the one that was signing
//
// So "trusted" is every key of the record and "active" the first. In auto mode
// the phases follow each other on a schedule spread over the grace period; in
// manual mode the operator names each phase.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "messages/cert_authority.hpp"
#include "messages/result.hpp"
#include "messages/timestamp.hpp"

namespace tp::actors::auth {

using sys_time = std::chrono::system_clock::time_point;

// Teleport's default: as long as the longest user certificate, so every user logs in
// again with a certificate of the new CA before the old one stops being trusted.
inline constexpr std::chrono::hours default_grace_period{30};

// An automatic rotation's shortest grace period: each phase lasts at least two host
// heartbeats (5 s), so every host renews before the old CA goes.
inline constexpr std::chrono::seconds min_auto_grace_period{30};

struct rotate_params {
  std::string mode = "auto";  // "auto" or "manual"
  std::string phase;          // manual: the phase to move to; auto: empty
  std::chrono::seconds grace_period{default_grace_period};
};

// A fresh CA of the record's type and cluster (the keys of the next generation).
using ca_generator = std::function<tp::result<messages::cert_authority>(
    messages::ca_type, const std::string& cluster_name)>;

// The record after the requested step, or an error naming the allowed steps.
// Nothing is generated unless a rotation starts.
tp::result<messages::cert_authority> rotate_ca(const messages::cert_authority& ca,
                                               const rotate_params& params, sys_time now,
                                               const ca_generator& generate);

// In auto mode, the phase the schedule says the CA should be in by `now` when
// that is the next one after its current phase; nullopt when nothing is due.
std::optional<std::string> due_phase(const messages::rotation& r, sys_time now);

// The record after the automatic step due by `now`; nullopt when none is due.
std::optional<messages::cert_authority> auto_advance(const messages::cert_authority& ca,
                                                     sys_time now);

// When the next automatic step happens (zero when none is scheduled).
sys_time next_step_time(const messages::rotation& r);

// The phase as shown to operators: "standby" for a CA never rotated.
std::string phase_of(const messages::rotation& r);

}  // namespace tp::actors::auth
