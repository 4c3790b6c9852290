// Small helpers the resource codecs share to build output trees in the manual's field order.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "messages/duration.hpp"
#include "messages/timestamp.hpp"
#include "messages/tree_reader.hpp"

namespace tp::messages {

inline void put_nonempty(tree& t, const char* key, const std::string& s) {
  if (!s.empty()) t[key] = s;
}

inline void put_nonempty(tree& t, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) t[key] = v;
}

inline void put_nonempty(tree& t, const char* key, tree v) {
  if (!v.empty()) t[key] = std::move(v);
}

inline void put_time(tree& t, const char* key, const timestamp& ts) {
  t[key] = format_rfc3339(ts);
}

inline void put_duration(tree& t, const char* key, std::chrono::nanoseconds d) {
  t[key] = format_duration(d);
}

}  // namespace tp::messages
