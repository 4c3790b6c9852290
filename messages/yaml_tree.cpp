#include "messages/yaml_tree.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include <yaml-cpp/yaml.h>

namespace tp::messages {
namespace {

// ---- input ----------------------------------------------------------------------------------

class converter {
 public:
  explicit converter(yaml_document& doc) : doc_(doc) {}

  // Returns false and sets error() on the first problem.
  bool convert(const YAML::Node& n, tree& out, const std::string& path, int depth,
               const YAML::Mark& key_mark) {
    if (++nodes_ > max_yaml_nodes) return fail(path, key_mark, "document is too large");
    if (depth > max_yaml_depth) return fail(path, key_mark, "nesting is too deep");
    if (key_mark.line >= 0) doc_.lines.emplace(path, key_mark.line + 1);
    switch (n.Type()) {
      case YAML::NodeType::Scalar:
        out = n.Scalar();
        return true;
      case YAML::NodeType::Sequence: {
        out = tree::array();
        std::size_t i = 0;
        for (const auto& item : n) {
          tree& slot = out.emplace_back();
          if (!convert(item, slot, path + "[" + std::to_string(i++) + "]", depth + 1,
                       item.Mark())) {
            return false;
          }
        }
        return true;
      }
      case YAML::NodeType::Map: {
        out = tree::object();
        for (const auto& kv : n) {
          if (!kv.first.IsScalar())
            return fail(path, kv.first.Mark(), "keys must be plain strings");
          const std::string& key = kv.first.Scalar();
          const std::string child = path.empty() ? key : path + "." + key;
          if (out.contains(key)) return fail(child, kv.first.Mark(), "duplicate key");
          if (!convert(kv.second, out[key], child, depth + 1, kv.first.Mark())) return false;
        }
        return true;
      }
      default:  // Null and Undefined
        out = nullptr;
        return true;
    }
  }

  const std::string& error() const { return error_; }
  std::size_t nodes() const { return nodes_; }
  void add_nodes(std::size_t n) { nodes_ += n; }

 private:
  bool fail(const std::string& path, const YAML::Mark& mark, std::string_view problem) {
    error_ = path.empty() ? std::string(problem) : path + ": " + std::string(problem);
    if (mark.line >= 0) error_ += " (line " + std::to_string(mark.line + 1) + ")";
    return false;
  }

  yaml_document& doc_;
  std::size_t nodes_ = 0;
  std::string error_;
};

// Offset of the first byte that is not part of valid UTF-8, or npos. Strings we accept end up
// in JSON, which must be UTF-8.
std::size_t invalid_utf8_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

// ---- output ---------------------------------------------------------------------------------

bool is_reserved_word(std::string_view s) {
  static constexpr std::string_view kWords[] = {"true", "false", "yes",   "no",   "on",
                                                "off",  "y",     "n",     "null", "~",
                                                ".inf", "-.inf", "+.inf", ".nan"};
  std::string low(s);
  for (char& c : low) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  for (auto w : kWords) {
    if (low == w) return true;
  }
  return false;
}

// Would a YAML 1.1/1.2 reader take this for a number (int, float, 0x/0o/0b, sexagesimal)?
// Errs on the side of quoting: anything made only of digits and number punctuation.
bool looks_numeric(std::string_view s) {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
    for (const char c : s.substr(2)) {
      const bool ok =
          (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '_';
      if (!ok) return false;
    }
    return true;
  }
  bool digit = false;
  for (const char c : s) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (std::string_view("_.:eE+-").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return digit;
}

bool has_control(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool plain_ok(std::string_view s) {
  if (s.empty() || is_reserved_word(s) || looks_numeric(s) || has_control(s)) return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos) {
    return false;
  }
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  return s.find(": ") == std::string_view::npos && s.find(" #") == std::string_view::npos;
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", u);
          out += buf;
        } else {
          out += c;
        }
      }
    }
  }
  return out + "\"";
}

std::string quote_string(std::string_view s) {
  if (plain_ok(s)) return std::string(s);
  if (has_control(s)) return double_quoted(s);
  std::string out = "'";
  for (const char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string scalar_text(const tree& v) {
  if (v.is_string()) return quote_string(v.get_ref<const std::string&>());
  if (v.is_null()) return "null";
  return v.dump();  // booleans and numbers
}

// Multi-line text (PEM certificates, keys) reads best as a literal block.
bool literal_ok(std::string_view s) {
  // Needs a line break and some text: a block of only empty lines reads back as "".
  if (s.find('\n') == std::string_view::npos) return false;
  if (s.find_first_not_of('\n') == std::string_view::npos) return false;
  bool line_start = true;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) return false;
    if (line_start && (c == ' ' || c == '\t')) return false;  // would confuse indentation
    line_start = c == '\n';
  }
  return true;
}

void emit_literal(std::string& out, std::string_view s, int indent) {
  std::size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  out += trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n";
  if (trailing > 0) s.remove_suffix(1);
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto end = s.find('\n', start);
    const std::string_view line =
        s.substr(start, end == std::string_view::npos ? s.npos : end - start);
    if (!line.empty()) out += pad;
    out += line;
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

void emit_map(std::string& out, const tree& obj, int indent, bool inline_first);

void emit_seq(std::string& out, const tree& arr, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  for (const auto& item : arr) {
    out += pad + "-";
    if (item.is_object() && !item.empty()) {
      out += ' ';
      emit_map(out, item, indent + 2, true);
    } else if (item.is_array() && !item.empty()) {
      out += '\n';
      emit_seq(out, item, indent + 2);
    } else if (item.is_object()) {
      out += " {}\n";
    } else if (item.is_array()) {
      out += " []\n";
    } else if (item.is_string() && literal_ok(item.get_ref<const std::string&>())) {
      out += ' ';
      emit_literal(out, item.get_ref<const std::string&>(), indent + 2);
    } else {
      out += " " + scalar_text(item) + "\n";
    }
  }
}

void emit_map(std::string& out, const tree& obj, int indent, bool inline_first) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  bool first = true;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!(first && inline_first)) out += pad;
    first = false;
    out += quote_string(it.key()) + ":";
    const tree& v = it.value();
    if (v.is_object() && !v.empty()) {
      out += '\n';
      emit_map(out, v, indent + 2, false);
    } else if (v.is_array() && !v.empty()) {
      out += '\n';
      emit_seq(out, v, indent);
    } else if (v.is_object()) {
      out += " {}\n";
    } else if (v.is_array()) {
      out += " []\n";
    } else if (v.is_string() && literal_ok(v.get_ref<const std::string&>())) {
      out += ' ';
      emit_literal(out, v.get_ref<const std::string&>(), indent + 2);
    } else {
      out += " " + scalar_text(v) + "\n";
    }
  }
}

}  // namespace

tp::result<std::vector<yaml_document>> load_yaml_documents(std::string_view text) {
  if (text.size() > max_yaml_bytes) {
    return tp::make_error("YAML input is larger than " + std::to_string(max_yaml_bytes) + " bytes");
  }
  if (const auto bad = invalid_utf8_at(text); bad != std::string_view::npos) {
    const auto line =
        1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
    return tp::make_error("invalid YAML at line " + std::to_string(line) +
                          ": the text is not valid UTF-8");
  }
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports its nesting limit as "bad file".
    const std::string what = e.msg == "bad file" ? "nesting is too deep" : e.msg;
    if (e.mark.line < 0) return tp::make_error("invalid YAML: " + what);
    return tp::make_error("invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                          std::to_string(e.mark.column + 1) + ": " + what);
  } catch (const std::exception& e) {
    return tp::make_error(std::string("invalid YAML: ") + e.what());
  }
  std::vector<yaml_document> docs;
  std::size_t total_nodes = 0;
  for (const auto& n : nodes) {
    if (n.IsNull()) continue;  // "---" with nothing after it
    yaml_document doc;
    doc.line = n.Mark().line + 1;
    converter conv(doc);
    conv.add_nodes(total_nodes);
    if (!conv.convert(n, doc.root, "", 0, n.Mark())) return tp::make_error(conv.error());
    total_nodes = conv.nodes();
    docs.push_back(std::move(doc));
  }
  return docs;
}

std::string emit_yaml(const tree& root) {
  std::string out;
  if (root.is_object()) {
    emit_map(out, root, 0, false);
  } else if (root.is_array()) {
    emit_seq(out, root, 0);
  } else {
    out = scalar_text(root) + "\n";
  }
  return out;
}

}  // namespace tp::messages
