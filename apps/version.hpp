// The version every binary reports (from the CMake project version).
#pragma once

namespace tp::apps {
inline constexpr const char* version = TP_VERSION;
}
