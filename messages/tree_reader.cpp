#include "messages/tree_reader.hpp"

#include <cassert>
#include <cstdint>

#include "messages/duration.hpp"
#include "messages/metadata.hpp"

namespace tp::messages {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Strips the last component of a key path: "a.b[2]" -> "a.b" -> "a" -> "".
std::string parent_path(const std::string& path) {
  const auto pos = path.find_last_of(".[");
  return pos == std::string::npos ? std::string() : path.substr(0, pos);
}

}  // namespace

std::string describe_type(const tree& v) {
  switch (v.type()) {
    case tree::value_t::null:
      return "nothing";
    case tree::value_t::object:
      return "a mapping";
    case tree::value_t::array:
      return "a list";
    case tree::value_t::string: {
      std::string text = v.get<std::string>();
      if (text.size() > 64) text = text.substr(0, 64) + "...";  // keep messages readable
      return "\"" + text + "\"";
    }
    case tree::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

void decode_context::fail(const std::string& path, std::string_view problem) {
  if (failed_) return;
  failed_ = true;
  message_ = path.empty() ? std::string(problem) : path + ": " + std::string(problem);
  if (const int line = line_of(path); line > 0) message_ += " (line " + std::to_string(line) + ")";
}

int decode_context::line_of(std::string path) const {
  if (lines_ == nullptr) return 0;
  // A missing key has no line of its own: use the closest enclosing node's.
  while (true) {
    if (auto it = lines_->find(path); it != lines_->end()) return it->second;
    if (path.empty()) return 0;
    path = parent_path(path);
  }
}

map_reader::map_reader(decode_context& ctx, const tree* node, std::string path, bool required)
    : ctx_(&ctx), node_(node), path_(std::move(path)) {
  if (node_ != nullptr && node_->is_null()) node_ = nullptr;
  if (node_ == nullptr) {
    if (required) ctx_->fail(path_, "expected a mapping, got nothing");
  } else if (!node_->is_object()) {
    ctx_->fail(path_, "expected a mapping, got " + describe_type(*node_));
    node_ = nullptr;
  }
}

map_reader::map_reader(map_reader&& other) noexcept
    : ctx_(other.ctx_),
      node_(other.node_),
      path_(std::move(other.path_)),
      known_(std::move(other.known_)),
      finished_(other.finished_) {
  other.finished_ = true;
}

map_reader::~map_reader() {
  // A codec that forgets finish() would silently accept unknown keys.
  assert(finished_ || ctx_->failed());
}

std::string map_reader::path_of(std::string_view key) const {
  if (key.empty()) return path_;
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void map_reader::fail(std::string_view key, std::string_view problem) {
  ctx_->fail(path_of(key), problem);
}

const tree* map_reader::find(std::string_view key) const {
  if (node_ == nullptr) return nullptr;
  auto it = node_->find(key);
  return it == node_->end() ? nullptr : &*it;
}

const tree* map_reader::raw(std::string_view key) {
  known_.emplace(key);
  return find(key);
}

const tree* map_reader::take(std::string_view key) {
  const tree* v = raw(key);
  if (ctx_->failed() || v == nullptr || v->is_null()) return nullptr;
  return v;
}

const tree* map_reader::take_list(std::string_view key) {
  const tree* v = take(key);
  if (v != nullptr && !v->is_array()) {
    fail(key, "expected a list, got " + describe_type(*v));
    return nullptr;
  }
  return v;
}

const tree* map_reader::take_mapping(std::string_view key) {
  const tree* v = take(key);
  if (v != nullptr && !v->is_object()) {
    fail(key, "expected a mapping, got " + describe_type(*v));
    return nullptr;
  }
  return v;
}

bool map_reader::scalar_text(std::string_view key, const tree& v, std::string& out) {
  if (v.is_string()) {
    out = v.get<std::string>();
    return true;
  }
  if (v.is_boolean() || v.is_number()) {  // JSON typed scalars where text is expected
    out = v.dump();
    return true;
  }
  fail(key, "expected a string, got " + describe_type(v));
  return false;
}

void map_reader::read(std::string_view key, std::string& out) {
  if (const tree* v = take(key)) scalar_text(key, *v, out);
}

void map_reader::read(std::string_view key, bool& out) {
  const tree* v = take(key);
  if (v == nullptr) return;
  if (v->is_boolean()) {
    out = v->get<bool>();
    return;
  }
  if (v->is_string()) {
    // YAML 1.1 spellings too: teleport.yaml users write `enabled: yes`.
    const std::string s = lower(v->get<std::string>());
    if (s == "true" || s == "yes" || s == "on") {
      out = true;
      return;
    }
    if (s == "false" || s == "no" || s == "off") {
      out = false;
      return;
    }
  }
  fail(key, "expected true or false, got " + describe_type(*v));
}

void map_reader::read(std::string_view key, std::uint32_t& out) {
  const tree* v = take(key);
  if (v == nullptr) return;
  if (v->is_number_unsigned() && v->get<std::uint64_t>() <= UINT32_MAX) {
    out = static_cast<std::uint32_t>(v->get<std::uint64_t>());
    return;
  }
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    std::uint64_t n = 0;
    bool ok = !s.empty() && s.size() <= 10;
    for (const char c : s) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (ok && n <= UINT32_MAX) {
      out = static_cast<std::uint32_t>(n);
      return;
    }
  }
  fail(key, "expected a number from 0 to 4294967295, got " + describe_type(*v));
}

void map_reader::read(std::string_view key, std::vector<std::string>& out) {
  const tree* list = take_list(key);
  if (list == nullptr) return;
  std::vector<std::string> items;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string item_key = std::string(key) + "[" + std::to_string(i) + "]";
    if (!scalar_text(item_key, (*list)[i], items.emplace_back())) return;
  }
  out = std::move(items);
}

void map_reader::read(std::string_view key, std::map<std::string, std::string>& out) {
  const tree* node = take_mapping(key);
  if (node == nullptr) return;
  std::map<std::string, std::string> entries;
  for (auto it = node->begin(); it != node->end(); ++it) {
    const std::string entry_key = std::string(key) + "." + it.key();
    if (it.value().is_null()) {
      entries[it.key()];
    } else if (!scalar_text(entry_key, it.value(), entries[it.key()])) {
      return;
    }
  }
  out = std::move(entries);
}

void map_reader::read(std::string_view key, std::map<std::string, std::vector<std::string>>& out,
                      bool scalar_ok) {
  const tree* node = take_mapping(key);
  if (node == nullptr) return;
  std::map<std::string, std::vector<std::string>> entries;
  for (auto it = node->begin(); it != node->end(); ++it) {
    const std::string entry_key = std::string(key) + "." + it.key();
    const tree& v = it.value();
    auto& values = entries[it.key()];
    if (v.is_null()) continue;
    if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (!scalar_text(entry_key + "[" + std::to_string(i) + "]", v[i], values.emplace_back())) {
          return;
        }
      }
    } else if (scalar_ok && !v.is_object()) {
      if (!scalar_text(entry_key, v, values.emplace_back())) return;
    } else {
      fail(entry_key, std::string(scalar_ok ? "expected a string or a list of strings, got "
                                            : "expected a list of strings, got ") +
                          describe_type(v));
      return;
    }
  }
  out = std::move(entries);
}

void map_reader::read(std::string_view key, std::chrono::nanoseconds& out) {
  const tree* v = take(key);
  if (v == nullptr) return;
  if (!v->is_string()) {
    fail(key, "expected a duration like 30h0m0s, got " + describe_type(*v));
    return;
  }
  auto d = parse_duration(v->get<std::string>());
  if (!d) {
    fail(key, d.message());
    return;
  }
  out = *d;
}

void map_reader::read(std::string_view key, timestamp& out) {
  const tree* v = take(key);
  if (v == nullptr) return;
  if (!v->is_string()) {
    fail(key, "expected a time like 2018-05-17T03:51:00Z, got " + describe_type(*v));
    return;
  }
  auto t = parse_rfc3339(v->get<std::string>());
  if (!t) {
    fail(key, t.message());
    return;
  }
  out = *t;
}

map_reader map_reader::child(std::string_view key) {
  return map_reader(*ctx_, take(key), path_of(key));
}

void map_reader::finish() {
  if (finished_) return;
  finished_ = true;
  if (node_ == nullptr || ctx_->failed()) return;
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    if (known_.count(it.key()) != 0) continue;
    std::string expected;
    for (const auto& k : known_) expected += (expected.empty() ? "" : ", ") + k;
    fail(it.key(), expected.empty() ? "unknown field; this mapping takes no fields"
                                    : "unknown field; expected one of: " + expected);
    return;
  }
}

void check_name(map_reader& r, std::string_view key, const std::string& name,
                std::string_view what) {
  if (auto st = validate_name(name); !st) {
    r.fail(key, "invalid " + std::string(what) + " \"" + name + "\": " + st.message());
  }
}

void check_names(map_reader& r, std::string_view key, const std::vector<std::string>& names,
                 std::string_view what) {
  for (std::size_t i = 0; i < names.size() && !r.failed(); ++i) {
    check_name(r, std::string(key) + "[" + std::to_string(i) + "]", names[i], what);
  }
}

}  // namespace tp::messages
