// From text to a YAML document, guarding yaml-cpp against input it handles
// badly and turning its exceptions into positioned errors.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostics.hpp"

namespace tp::config {

// Files larger than this are refused; a real teleport.yaml is a few KiB.
inline constexpr std::size_t max_config_file_size = 1024 * 1024;

// The single document in `text`, or nullopt after reporting why not to `diag`:
// too large, NUL bytes, tab indentation (every offending line), a YAML syntax
// error (at the parser's line:column), or more than one document. An empty text
// gives a null node.
std::optional<YAML::Node> load_yaml_document(std::string_view text, const std::string& source,
                                             diagnostics& diag);

}  // namespace tp::config
