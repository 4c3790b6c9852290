// A label_command actor per command label (`commands:` in ssh_service, or
// `--labels name=[1m:"cmd"]`): runs its command every period and reports the
// trimmed output to the host's auth link, which announces it as the label's
// value. Detached: it waits for the command.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/labels.hpp"
#include "messages/result.hpp"

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

inline constexpr std::chrono::seconds label_command_timeout{10};
inline constexpr std::size_t label_value_max = 1024;

// Runs argv (argv[0] looked up in PATH, no shell) with /dev/null as stdin and
// returns stdout with surrounding whitespace trimmed, at most label_value_max
// bytes. The command is killed after `timeout`. A non-zero exit is an error.
tp::result<std::string> run_label_command(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout);

caf::actor spawn_label_command(caf::actor_system& sys, const caf::actor& report_to,
                               config::command_label label);

}  // namespace tp::actors
