#include "config/load.hpp"

#include "config/diagnostics.hpp"
#include "config/file_config.hpp"
#include "config/read_file.hpp"
#include "config/validate.hpp"

namespace tp::config {

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

result<teleport_config> to_result(load_report report) {
  if (!report.ok()) return make_error(join_lines(report.errors));
  return std::move(*report.config);
}

load_report check_config_text(std::string_view text, const std::string& source) {
  teleport_config cfg;
  origin_map origins;
  diagnostics diag;
  parse_config_yaml(text, source, cfg, origins, diag);
  // Validation runs even after reader errors, so one pass shows every problem.
  validate_config(cfg, origins, diag);
  load_report report;
  report.errors = diag.errors();
  report.warnings = diag.warnings();
  if (report.ok()) {
    cfg.warnings = report.warnings;
    report.config = std::move(cfg);
  }
  return report;
}

load_report check_config_file(const std::string& path) {
  auto text = read_small_file(path, max_config_file_size);
  if (!text) {
    load_report report;
    report.errors.push_back(text.message());
    return report;
  }
  return check_config_text(*text, path);
}

result<teleport_config> load_config_text(std::string_view text, const std::string& source) {
  return to_result(check_config_text(text, source));
}

result<teleport_config> load_config_file(const std::string& path) {
  return to_result(check_config_file(path));
}

std::vector<std::string> validate_config_file(const std::string& path) {
  return check_config_file(path).errors;
}

}  // namespace tp::config
