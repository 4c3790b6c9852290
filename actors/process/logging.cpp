#include "actors/process/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include <syslog.h>
#include <algorithm>

namespace tp::actors {
namespace {

// Levels as Teleport's logs name them (DEBUG, INFO, WARN, ERROR), so log
// scrapers written for Teleport keep matching.
class upper_level_flag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr std::string_view names[] = {"TRACE", "DEBUG", "INFO", "WARN",
                                                 "ERROR", "FATAL", "OFF"};
    const auto i = static_cast<std::size_t>(msg.level);
    const std::string_view name = i < std::size(names) ? names[i] : "INFO";
    dest.append(name.data(), name.data() + name.size());
    for (auto n = name.size(); n < 5; ++n) dest.push_back(' ');  // aligned like %-5l
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<upper_level_flag>();
  }
};

}  // namespace

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

}  // namespace

tp::status setup_logging(const std::string& output, const std::string& severity, bool debug) {
  spdlog::level::level_enum level = spdlog::level::err;
  const std::string sev = upper(severity);
  if (debug || sev == "DEBUG" || sev == "TRACE") {
    level = spdlog::level::debug;
  } else if (sev == "INFO") {
    level = spdlog::level::info;
  } else if (sev == "WARN" || sev == "WARNING") {
    level = spdlog::level::warn;
  } else if (sev == "ERROR" || sev == "ERR" || sev.empty()) {
    level = spdlog::level::err;
  } else {
    return make_error("log.severity: unknown severity \"" + severity +
                      "\" (use DEBUG, INFO, WARN or ERROR)");
  }

  std::shared_ptr<spdlog::logger> logger;
  const std::string out = debug ? std::string("stderr") : output;
  if (out == "stderr" || out.empty()) {
    logger = spdlog::stderr_logger_mt("teleport");
  } else if (out == "stdout") {
    logger = spdlog::stdout_logger_mt("teleport");
  } else if (out == "syslog") {
    logger = spdlog::syslog_logger_mt("teleport", "teleport", LOG_PID, LOG_DAEMON);
  } else {
    return make_error("log.output: unknown output \"" + output +
                      "\" (use stdout, stderr or syslog)");
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<upper_level_flag>('*').set_pattern(
      out == "syslog" ? "%* %v" : "%Y-%m-%dT%H:%M:%S.%e%z %^%*%$ %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace tp::actors
