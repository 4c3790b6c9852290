// teleport: the daemon. Sub-commands as in the admin manual: start, configure,
// version, status, help.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "actors/process/daemon.hpp"
#include "actors/process/logging.hpp"
#include "actors/process/restart.hpp"
#include "apps/teleport/status.hpp"
#include "apps/version.hpp"
#include "config/load.hpp"
#include "config/sample.hpp"
#include "config/start_flags.hpp"

namespace {

int run_start(const tp::config::start_flags& flags) {
  auto cfg = tp::config::build_config(flags);
  if (!cfg) {
    std::fprintf(stderr, "error: %s\n", cfg.message().c_str());
    return 1;
  }
  const auto& log = cfg->global.log;
  if (auto st = tp::actors::setup_logging(std::string(to_string(log.output)),
                                          std::string(to_string(log.severity)), flags.debug);
      !st) {
    std::fprintf(stderr, "error: %s\n", st.message().c_str());
    return 1;
  }
  return tp::actors::run_daemon(*cfg);
}

int run_configure(const std::string& test_file) {
  if (test_file.empty()) {
    std::cout << tp::config::sample_config();
    return 0;
  }
  const auto errors = tp::config::validate_config_file(test_file);
  for (const auto& e : errors) std::cerr << e << "\n";
  if (!errors.empty()) {
    std::cerr << test_file << ": " << errors.size() << " error(s)\n";
    return 1;
  }
  std::cout << test_file << ": OK\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tp::actors::block_daemon_signals();
  tp::actors::remember_process(argc, argv);  // before any thread: it edits the environment

  CLI::App app{"Teleport: SSH access for a fleet of servers (teleport-cpp)", "teleport"};
  app.require_subcommand(0, 1);

  tp::config::start_flags flags;
  auto* start = app.add_subcommand("start", "Starts the Teleport daemon.");
  tp::config::add_start_flags(*start, flags);

  std::string test_file;
  auto* configure = app.add_subcommand(
      "configure", "Dumps a sample configuration file in YAML format into standard output.");
  configure->add_option("--test", test_file,
                        "Validate the given configuration file, print every error and exit");

  auto* version = app.add_subcommand("version", "Shows the Teleport version.");
  auto* status = app.add_subcommand(
      "status", "Shows the status of a Teleport connection (inside an active SSH session).");
  auto* help = app.add_subcommand("help", "Shows help.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (start->parsed()) return run_start(flags);
  if (configure->parsed()) return run_configure(test_file);
  if (version->parsed()) {
    std::cout << "Teleport v" << tp::apps::version << " (teleport-cpp)\n";
    return 0;
  }
  if (status->parsed()) return tp::apps::print_session_status(std::cout, std::cerr);
  (void)help;
  std::cout << app.help();
  return 0;
}
