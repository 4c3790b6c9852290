// teleport.yaml -> teleport_config. Strict: unknown keys (typos) anywhere, values
// of the wrong shape and unparsable values are all reported, each with its
// file:line:column and key path. Cross-field checks live in validate.hpp.
#pragma once

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/yaml_source.hpp"

namespace tp::config {

// Reads YAML `text` (named `source` in messages) over `cfg`, which holds the
// defaults: keys present replace values, absent keys keep them. Problems go to
// `diag`; every key read records where it was written in `origins`. Tab
// indentation is reported (per line) before the YAML parser sees the text.
void parse_config_yaml(std::string_view text, const std::string& source, teleport_config& cfg,
                       origin_map& origins, diagnostics& diag);

}  // namespace tp::config
