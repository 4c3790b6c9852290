// Asking the user for a password and a one-time code: on the controlling terminal
// (/dev/tty, echo off for secrets) like ssh does, else one line from stdin, so
// scripts can pipe the answers in.
#pragma once

#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::apps::tsh {

// Prints `question` and reads one line (at most 1024 bytes, no line break). The terminal's
// echo is off while a secret is typed and restored afterwards, also on Ctrl-C.
result<std::string> ask(std::string_view question, bool secret);

}  // namespace tp::apps::tsh
