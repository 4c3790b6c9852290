#include "config/config.hpp"

#include <unistd.h>

#include <climits>

namespace tp::config {

std::string_view to_string(log_output v) {
  switch (v) {
    case log_output::to_stdout:
      return "stdout";
    case log_output::to_stderr:
      return "stderr";
    case log_output::to_syslog:
      return "syslog";
  }
  return "?";
}

std::string_view to_string(log_severity v) {
  switch (v) {
    case log_severity::debug:
      return "DEBUG";
    case log_severity::info:
      return "INFO";
    case log_severity::warn:
      return "WARN";
    case log_severity::error:
      return "ERROR";
  }
  return "?";
}

std::string_view to_string(storage_type v) {
  switch (v) {
    case storage_type::embedded:
      return "embedded";
    case storage_type::etcd:
      return "etcd";
    case storage_type::dynamodb:
      return "dynamodb";
  }
  return "?";
}

std::string_view to_string(auth_type v) {
  switch (v) {
    case auth_type::local:
      return "local";
    case auth_type::github:
      return "github";
    case auth_type::saml:
      return "saml";
    case auth_type::oidc:
      return "oidc";
  }
  return "?";
}

std::string_view to_string(second_factor_type v) {
  switch (v) {
    case second_factor_type::off:
      return "off";
    case second_factor_type::otp:
      return "otp";
    case second_factor_type::u2f:
      return "u2f";
  }
  return "?";
}

std::string_view to_string(recording_mode v) {
  switch (v) {
    case recording_mode::node:
      return "node";
    case recording_mode::proxy:
      return "proxy";
    case recording_mode::off:
      return "off";
  }
  return "?";
}

std::string local_hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace tp::config
