// The control plane's payloads: a request is [u64 id][api_request], a reply
// [u64 id][api_reply], both in CAF's binary serialization. The id pairs
// replies with requests on one connection. Decoding treats its input as
// hostile: any malformed, truncated or over-long payload is an error.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/auth_api.hpp"
#include "messages/result.hpp"

namespace tp::messages {

template <class Body>
struct envelope {
  std::uint64_t id = 0;
  Body body;
};

std::vector<char> encode_request(std::uint64_t id, const api_request& request);
tp::result<envelope<api_request>> decode_request(std::string_view payload);

std::vector<char> encode_reply(std::uint64_t id, const api_reply& reply);
tp::result<envelope<api_reply>> decode_reply(std::string_view payload);

}  // namespace tp::messages
