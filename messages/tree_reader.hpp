// Typed, path-aware reading of a parsed document (YAML or JSON, both held as JSON trees).
// Used by the resource codecs; every problem is reported with its key path and, for YAML,
// the source line, and unknown keys are rejected.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/timestamp.hpp"

namespace tp::messages {

using tree = nlohmann::ordered_json;

// 1-based source lines of a YAML document by key path ("spec.allow.rules[0].verbs").
using line_map = std::unordered_map<std::string, int>;

// The state of one decode. Only the first problem is kept: it is the one a user fixes first,
// and later reads turn into no-ops so codecs need no error plumbing.
class decode_context {
 public:
  explicit decode_context(const line_map* lines = nullptr) : lines_(lines) {}

  void fail(const std::string& path, std::string_view problem);
  bool failed() const { return failed_; }
  const std::string& message() const { return message_; }

 private:
  int line_of(std::string path) const;

  const line_map* lines_;
  bool failed_ = false;
  std::string message_;
};

// Reads the fields of one mapping. A missing or null mapping reads as empty (all defaults).
// Call finish() after the last read to reject keys nobody asked for.
class map_reader {
 public:
  // With `required`, a missing/null node is an error too (list items).
  map_reader(decode_context& ctx, const tree* node, std::string path, bool required = false);
  map_reader(map_reader&& other) noexcept;
  map_reader& operator=(map_reader&&) = delete;
  ~map_reader();

  bool present(std::string_view key) const { return find(key) != nullptr; }
  // The mapping itself (nullptr when absent); for codecs that keep a subtree as data.
  const tree* node() const { return node_; }
  // The raw value of `key` (null when absent); marks the key as known.
  const tree* raw(std::string_view key);

  void read(std::string_view key, std::string& out);
  void read(std::string_view key, bool& out);
  void read(std::string_view key, std::uint32_t& out);
  void read(std::string_view key, std::vector<std::string>& out);
  void read(std::string_view key, std::map<std::string, std::string>& out);
  // Values are lists; with scalar_ok a single string stands for a one-element list.
  void read(std::string_view key, std::map<std::string, std::vector<std::string>>& out,
            bool scalar_ok);
  void read(std::string_view key, std::chrono::nanoseconds& out);
  void read(std::string_view key, timestamp& out);

  // The nested mapping under `key`.
  map_reader child(std::string_view key);

  // Calls f(map_reader&) for each mapping in the list under `key`.
  template <class F>
  void for_each(std::string_view key, F&& f) {
    const tree* list = take_list(key);
    if (list == nullptr) return;
    for (std::size_t i = 0; i < list->size() && !ctx_->failed(); ++i) {
      map_reader item(*ctx_, &(*list)[i], path_of(key) + "[" + std::to_string(i) + "]", true);
      if (ctx_->failed()) return;
      f(item);
      item.finish();
    }
  }

  // Calls f(name, map_reader&) for each entry of the mapping of mappings under `key`.
  template <class F>
  void for_each_entry(std::string_view key, F&& f) {
    const tree* node = take_mapping(key);
    if (node == nullptr) return;
    for (auto it = node->begin(); it != node->end() && !ctx_->failed(); ++it) {
      map_reader item(*ctx_, &it.value(), path_of(key) + "." + it.key(), true);
      if (ctx_->failed()) return;
      f(it.key(), item);
      item.finish();
    }
  }

  // Reports a problem with `key` (or with this mapping itself when key is empty).
  void fail(std::string_view key, std::string_view problem);
  bool failed() const { return ctx_->failed(); }
  std::string path_of(std::string_view key) const;
  decode_context& context() { return *ctx_; }

  // Rejects unknown keys (listing the known ones). Idempotent.
  void finish();

 private:
  const tree* find(std::string_view key) const;
  const tree* take(std::string_view key);  // present, non-null value or nullptr
  const tree* take_list(std::string_view key);
  const tree* take_mapping(std::string_view key);
  bool scalar_text(std::string_view key, const tree& v, std::string& out);

  decode_context* ctx_;
  const tree* node_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
  bool finished_ = false;
};

// Reports `what` (e.g. "role name") under key when the name fails validate_name().
void check_name(map_reader& r, std::string_view key, const std::string& name,
                std::string_view what);
// The same for each element of a list (errors name the element: "roles[1]").
void check_names(map_reader& r, std::string_view key, const std::vector<std::string>& names,
                 std::string_view what);

// "a string", "a list", "a mapping"... for messages.
std::string describe_type(const tree& v);

}  // namespace tp::messages
