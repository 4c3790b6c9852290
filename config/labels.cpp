#include "config/labels.hpp"

#include <algorithm>

#include "config/duration.hpp"
#include "config/values.hpp"

namespace tp::config {

status check_label_key(std::string_view key) {
  if (key.empty()) return make_error("empty label name");
  if (key.size() > 256)
    return make_error("label name " + quote(key) + " is longer than 256 characters");
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '/' || c == '-';
    if (!ok) {
      return make_error("invalid label name " + quote(key) +
                        " (allowed characters: letters, digits, '.', '_', '/', '-')");
    }
  }
  return {};
}

result<std::vector<std::string>> split_command(std::string_view line) {
  std::vector<std::string> argv;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) argv.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const auto end = line.find('\'', i + 1);
      if (end == std::string_view::npos)
        return make_error("unterminated ' in command " + quote(line));
      word.append(line.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size() && (line[j + 1] == '"' || line[j + 1] == '\\'))
          ++j;
        word += line[j];
      }
      if (j >= line.size()) return make_error("unterminated \" in command " + quote(line));
      i = j;
    } else if (c == '\\') {
      if (i + 1 == line.size()) return make_error("trailing backslash in command " + quote(line));
      word += line[++i];
    } else {
      word += c;
    }
  }
  if (in_word) argv.push_back(std::move(word));
  if (argv.empty()) return make_error("empty command");
  return argv;
}

namespace {

// Parses "[<period>:<command>]" at the start of `s`; advances `s` past it.
result<command_label> parse_command_value(std::string name, std::string_view& s) {
  auto fail = [&](const std::string& why) {
    return make_error("label " + quote(name) + ": " + why);
  };
  s.remove_prefix(1);  // '['
  const auto colon = s.find(':');
  const auto close = s.find(']');
  if (colon == std::string_view::npos || (close != std::string_view::npos && close < colon)) {
    return fail("expected [<period>:<command>], e.g. [1m:\"uptime -p\"]");
  }
  auto period = parse_duration(trim(s.substr(0, colon)));
  if (!period) return fail(period.message());
  if (*period < min_label_period) {
    return fail("period " + quote(s.substr(0, colon)) + " is shorter than 1s");
  }
  s.remove_prefix(colon + 1);
  std::string_view command_text;
  if (!s.empty() && s.front() == '"') {
    // Quoted: runs to the matching unescaped quote, which must be followed by ']'.
    std::size_t j = 1;
    while (j < s.size() && s[j] != '"') j += (s[j] == '\\' && j + 1 < s.size()) ? 2 : 1;
    if (j >= s.size()) return fail("unterminated quote in command");
    if (j + 1 >= s.size() || s[j + 1] != ']') return fail("expected ']' after the quoted command");
    // Undo the flag-level quoting: \" and \\ become " and \.
    std::string_view inner = s.substr(1, j - 1);
    std::string unescaped;
    for (std::size_t k = 0; k < inner.size(); ++k) {
      if (inner[k] == '\\' && k + 1 < inner.size()) ++k;
      unescaped += inner[k];
    }
    s.remove_prefix(j + 2);
    auto argv = split_command(unescaped);
    if (!argv) return fail(argv.message());
    return command_label{std::move(name), std::move(*argv), *period};
  }
  const auto end = s.find(']');
  if (end == std::string_view::npos) return fail("missing ']' after the command");
  command_text = s.substr(0, end);
  s.remove_prefix(end + 1);
  auto argv = split_command(command_text);
  if (!argv) return fail(argv.message());
  return command_label{std::move(name), std::move(*argv), *period};
}

}  // namespace

result<labels_spec> parse_labels_flag(std::string_view text) {
  labels_spec out;
  std::string_view s = trim(text);
  if (s.empty()) return out;
  while (true) {
    const auto eq = s.find('=');
    const auto comma = s.find(',');
    if (eq == std::string_view::npos || (comma != std::string_view::npos && comma < eq)) {
      return make_error("expected key=value in " + quote(s.substr(0, comma)));
    }
    std::string key(trim(s.substr(0, eq)));
    if (auto ok = check_label_key(key); !ok) return ok.err();
    const bool duplicate = out.static_labels.count(key) > 0 ||
                           std::any_of(out.commands.begin(), out.commands.end(),
                                       [&](const command_label& c) { return c.name == key; });
    if (duplicate) return make_error("label " + quote(key) + " is given twice");
    s.remove_prefix(eq + 1);
    if (!s.empty() && s.front() == '[') {
      auto cmd = parse_command_value(key, s);
      if (!cmd) return cmd.err();
      out.commands.push_back(std::move(*cmd));
    } else {
      const auto end = s.find(',');
      std::string_view value = s.substr(0, end);
      if (value.find_first_of("[]\"") != std::string_view::npos) {
        return make_error("label " + quote(key) + ": invalid value " + quote(value) +
                          " (a command label is written [<period>:\"<command>\"])");
      }
      out.static_labels.emplace(std::move(key), std::string(trim(value)));
      s.remove_prefix(end == std::string_view::npos ? s.size() : end);
    }
    s = trim(s);
    if (s.empty()) break;
    if (s.front() != ',') return make_error("expected ',' before " + quote(s));
    s.remove_prefix(1);
    s = trim(s);
    if (s.empty()) return make_error("trailing ',' in labels");
  }
  return out;
}

}  // namespace tp::config
