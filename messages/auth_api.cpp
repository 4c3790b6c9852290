#include "messages/auth_api.hpp"

#include <algorithm>

namespace tp::messages {

bool caller::has_role(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::string_view to_string(api_errc code) {
  switch (code) {
    case api_errc::access_denied:
      return "access denied";
    case api_errc::not_found:
      return "not found";
    case api_errc::already_exists:
      return "already exists";
    case api_errc::bad_parameter:
      return "bad parameter";
    case api_errc::internal:
      return "internal error";
  }
  return "error";
}

std::string describe(const api_error& e) {
  return std::string(to_string(e.code)) + ": " + e.message;
}

}  // namespace tp::messages
