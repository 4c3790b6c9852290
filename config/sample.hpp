// A commented teleport.yaml showing every supported key (what `teleport configure` prints).
#pragma once

#include <string>

namespace tp::config {

// Valid as is: load_config_text(sample_config(), ...) succeeds.
std::string sample_config();

}  // namespace tp::config
