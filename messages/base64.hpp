// Standard base64 (RFC 4648 section 4): the text form of key blobs in authorized_keys
// lines and key files, and of keys and values on etcd's JSON gateway.
#pragma once

#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::messages {

// With '=' padding.
std::string base64_encode(std::string_view bytes);
// Same alphabet, no padding (as in "SHA256:..." fingerprints).
std::string base64_encode_unpadded(std::string_view bytes);
// Strict decoder: padding is required to be correct, whitespace is refused (callers strip
// line breaks themselves), and non-zero trailing bits are refused so one text has one value.
tp::result<std::string> base64_decode(std::string_view text);

}  // namespace tp::messages
