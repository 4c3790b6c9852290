#include "persistence/backend.hpp"

namespace tp::persistence {

const char* to_string(error_kind kind) noexcept {
  switch (kind) {
    case error_kind::none:
      return "none";
    case error_kind::not_found:
      return "not_found";
    case error_kind::already_exists:
      return "already_exists";
    case error_kind::compare_failed:
      return "compare_failed";
    case error_kind::bad_parameter:
      return "bad_parameter";
    case error_kind::io:
      return "io";
  }
  return "unknown";
}

}  // namespace tp::persistence
