#include "messages/api_codec.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "messages/type_ids.hpp"

namespace tp::messages {
namespace {

template <class Body>
std::vector<char> encode(std::uint64_t id, const Body& body, std::size_t size_hint = 0) {
  std::vector<char> out;
  // Large bodies (recording chunks) are serialized without regrowing the buffer.
  if (size_hint > 0) out.reserve(size_hint);
  caf::binary_serializer sink{nullptr, out};
  // Serializing our own well-formed structs cannot fail; a failure is a bug.
  auto err = sink(id, const_cast<Body&>(body));
  if (err) std::abort();
  return out;
}

template <class Body>
tp::result<envelope<Body>> decode(std::string_view payload, const char* what) {
  envelope<Body> out;
  try {
    caf::binary_deserializer source{nullptr, payload.data(), payload.size()};
    if (auto err = source(out.id, out.body)) {
      return tp::make_error(std::string("malformed ") + what + ": " + caf::to_string(err));
    }
    if (source.remaining() != 0) {
      return tp::make_error(std::string("malformed ") + what + ": trailing bytes");
    }
  } catch (const std::exception& e) {  // e.g. a length that cannot be allocated
    return tp::make_error(std::string("malformed ") + what + ": " + e.what());
  }
  return out;
}

}  // namespace

// Roughly the encoded size of the large requests.
std::size_t size_hint(const api_request& r) {
  std::size_t n = 0;
  if (const auto* c = std::get_if<session_chunk_request>(&r)) {
    n = c->data.size() + c->sid.size();
    for (const auto& e : c->events) n += e.size() + 8;
  } else if (const auto* a = std::get_if<audit_event_request>(&r)) {
    for (const auto& e : a->events) n += e.size() + 8;
  }
  return n == 0 ? 0 : n + 64;
}

std::vector<char> encode_request(std::uint64_t id, const api_request& request) {
  return encode(id, request, size_hint(request));
}

tp::result<envelope<api_request>> decode_request(std::string_view payload) {
  return decode<api_request>(payload, "request");
}

std::vector<char> encode_reply(std::uint64_t id, const api_reply& reply) {
  return encode(id, reply);
}

tp::result<envelope<api_reply>> decode_reply(std::string_view payload) {
  return decode<api_reply>(payload, "reply");
}

}  // namespace tp::messages
