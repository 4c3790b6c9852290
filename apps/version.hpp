// The version every binary reports (messages/version.cpp, from the CMake project version).
#pragma once

#include <string>

#include "messages/version.hpp"

namespace tp::apps {
inline const std::string version{tp::build_version()};
}
