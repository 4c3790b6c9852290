// teleport/tctl builds that report the next minor version, for the
// graceful-restart test (an upgrade of the running binary). Linked in
// front of libmessages, so its version.o is never pulled in.
#include "messages/version.hpp"

namespace tp {

std::string_view build_version() {
  return TP_NEXT_VERSION;
}

}  // namespace tp
