#include "messages/version.hpp"

namespace tp {

// TP_VERSION comes from the CMake project version.
std::string_view build_version() {
  return TP_VERSION;
}

}  // namespace tp
