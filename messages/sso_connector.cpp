#include "messages/sso_connector.hpp"

#include "messages/tree_reader.hpp"

namespace tp::messages {

void decode_generic_spec(map_reader& in, nlohmann::json& out,
                         std::initializer_list<std::string_view> required) {
  out = nlohmann::json::object();
  if (const tree* node = in.node()) {
    for (auto it = node->begin(); it != node->end(); ++it) {
      in.raw(it.key());  // every key is accepted as data
      out[it.key()] = nlohmann::json(it.value());
    }
  }
  for (auto key : required) {
    const tree* v = in.raw(key);
    if (v == nullptr || v->is_null()) {
      in.fail(key, "missing");
      return;
    }
    if (!v->is_string()) {
      in.fail(key, "expected a string, got " + describe_type(*v));
      return;
    }
  }
}

}  // namespace tp::messages
