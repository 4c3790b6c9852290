// YAML text <-> JSON trees. Input keeps a line for every key path so errors can point at it;
// output is the block style `tctl get` prints (go-yaml's layout: list items at their key's
// indentation, strings quoted only when YAML would misread them).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "messages/tree_reader.hpp"

namespace tp::messages {

struct yaml_document {
  tree root;       // scalars are strings (YAML has no types before a schema reads them)
  line_map lines;  // key path -> 1-based line
  int line = 0;    // 1-based line where the document starts
};

// Limits that keep hostile input (alias bombs, huge files) from exhausting memory.
inline constexpr std::size_t max_yaml_bytes = 16 * 1024 * 1024;
inline constexpr std::size_t max_yaml_nodes = 1'000'000;
inline constexpr int max_yaml_depth = 64;

// Splits a "---"-separated stream into documents; empty documents are skipped. Rejects
// duplicate keys, non-scalar keys and input beyond the limits above.
tp::result<std::vector<yaml_document>> load_yaml_documents(std::string_view text);

// Block-style YAML for a mapping, ending with a newline.
std::string emit_yaml(const tree& root);

}  // namespace tp::messages
