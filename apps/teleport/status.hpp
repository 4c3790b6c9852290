// `teleport status`: what the node told this SSH session about itself.
#pragma once

#include <ostream>

namespace tp::apps {

// Prints user, cluster, host and session from the SSH_TELEPORT_* / SSH_SESSION_*
// variables the node sets in a session. Returns 1 outside a Teleport session.
int print_session_status(std::ostream& out, std::ostream& err);

}  // namespace tp::apps
