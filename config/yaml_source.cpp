#include "config/yaml_source.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace tp::config {
namespace {

// YAML forbids tabs in indentation; editors insert them silently. yaml-cpp's own
// message for this is obscure, so find them first and name the lines.
bool report_tab_indentation(std::string_view text, const std::string& source, diagnostics& diag) {
  bool found = false;
  int line = 1;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    const std::string_view l = text.substr(start, end - start);
    const auto content = l.find_first_not_of(" \t");
    const auto tab = l.find('\t');
    if (content != std::string_view::npos && tab != std::string_view::npos && tab < content &&
        l[content] != '#' && l[content] != '\r') {
      diag.error(origin{source, line, static_cast<int>(tab) + 1}, "",
                 "tab character in indentation; YAML indents with spaces only");
      found = true;
    }
    start = end + 1;
    ++line;
  }
  return found;
}

// Counts document starts only.
class document_counter : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Where a second document starts, if there is one. yaml-cpp 0.7's LoadAll never
// returns on a stray ',' at block level (the parser keeps yielding empty
// documents without consuming it, allocating until memory runs out), so documents
// are counted here with a bound. Throws YAML::Exception on syntax errors.
std::optional<YAML::Mark> second_document(std::string_view text) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  document_counter counter;
  for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
  }
  if (counter.starts.size() < 2) return std::nullopt;
  return counter.starts[1];
}

}  // namespace

std::optional<YAML::Node> load_yaml_document(std::string_view text, const std::string& source,
                                             diagnostics& diag) {
  if (text.size() > max_config_file_size) {
    diag.error(origin{source, 0, 0}, "", "file is larger than 1 MiB; this is not a teleport.yaml");
    return std::nullopt;
  }
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + nul, '\n'));
    diag.error(origin{source, line, 0}, "",
               "file contains a NUL byte; this is not a YAML text file");
    return std::nullopt;
  }
  if (report_tab_indentation(text, source, diag)) return std::nullopt;
  YAML::Node root;
  try {
    if (auto extra = second_document(text)) {
      const bool comma = extra->pos >= 0 && static_cast<std::size_t>(extra->pos) < text.size() &&
                         text[static_cast<std::size_t>(extra->pos)] == ',';
      diag.error(origin{source, extra->line + 1, extra->column + 1}, "",
                 comma ? "YAML syntax error: unexpected ','"
                       : "more than one YAML document (a '---' line); put everything in one");
      return std::nullopt;
    }
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    origin where{source, 0, 0};
    if (!e.mark.is_null()) where = origin{source, e.mark.line + 1, e.mark.column + 1};
    // yaml-cpp 0.7 reports its nesting-depth guard as "bad file".
    const std::string why = e.msg == "bad file" ? "nesting too deep" : e.msg;
    diag.error(where, "", "YAML syntax error: " + why);
    return std::nullopt;
  } catch (const std::exception& e) {
    diag.error(origin{source, 0, 0}, "", std::string("cannot parse YAML: ") + e.what());
    return std::nullopt;
  }
  return root;
}

}  // namespace tp::config
