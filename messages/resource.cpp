#include "messages/resource.hpp"

#include "messages/tree_reader.hpp"
#include "messages/tree_writer.hpp"
#include "messages/yaml_tree.hpp"

namespace tp::messages {
namespace {

void decode_metadata(map_reader& in, metadata& out) {
  in.read("name", out.name);
  if (in.failed()) return;
  if (out.name.empty()) {
    in.fail("name", "missing (every resource needs a name)");
    return;
  }
  check_name(in, "name", out.name, "name");
  in.read("namespace", out.namespace_name);
  if (out.namespace_name.empty()) out.namespace_name = default_namespace;
  check_name(in, "namespace", out.namespace_name, "namespace");
  in.read("description", out.description);
  in.read("labels", out.labels);
  for (const auto& [key, value] : out.labels) {
    if (auto st = validate_label_key(key); !st) in.fail("labels." + key, st.message());
  }
  in.read("expires", out.expires);
}

tree encode_metadata(const metadata& m) {
  tree out = tree::object();
  out["name"] = m.name;
  if (m.namespace_name != default_namespace) out["namespace"] = m.namespace_name;
  put_nonempty(out, "description", m.description);
  if (!m.labels.empty()) {
    tree labels = tree::object();
    for (const auto& [k, v] : m.labels) labels[k] = v;
    out["labels"] = std::move(labels);
  }
  if (!m.expires.is_zero()) put_time(out, "expires", m.expires);
  return out;
}

template <class T>
resource decode_as(map_reader& top) {
  T r;
  top.read("version", r.version);
  if (r.version.empty()) r.version = T::default_version;
  if (!top.failed() && r.version != T::default_version) {
    top.fail("version", "unsupported version \"" + r.version + "\" for kind " +
                            std::string(to_string(T::kind)) + "; expected " +
                            std::string(T::default_version));
  }
  map_reader meta = top.child("metadata");
  decode_metadata(meta, r.meta);
  meta.finish();
  map_reader spec = top.child("spec");
  decode_spec(spec, r);
  spec.finish();
  return r;
}

template <std::size_t... I>
resource decode_kind(resource_kind k, map_reader& top, std::index_sequence<I...>) {
  resource out;
  // Expands to one comparison per alternative; exactly one matches.
  ((static_cast<std::size_t>(k) == I
        ? (void)(out = decode_as<std::variant_alternative_t<I, resource>>(top))
        : (void)0),
   ...);
  return out;
}

tp::result<resource> decode(const tree& doc, const line_map* lines) {
  decode_context ctx(lines);
  if (!doc.is_object()) {
    ctx.fail("", "expected a resource (a mapping with kind, version, metadata and spec), got " +
                     describe_type(doc));
    return tp::make_error(ctx.message());
  }
  map_reader top(ctx, &doc, "");
  std::string kind_text;
  top.read("kind", kind_text);
  resource out;
  if (!ctx.failed()) {
    if (kind_text.empty()) {
      top.fail("kind", "missing; expected one of: " + resource_kind_names());
    } else if (auto k = parse_resource_kind(kind_text)) {
      out = decode_kind(*k, top, std::make_index_sequence<resource_kind_count>{});
    } else {
      top.fail("kind", "unknown resource kind \"" + kind_text +
                           "\"; expected one of: " + resource_kind_names());
    }
  }
  top.finish();
  if (ctx.failed()) return tp::make_error(ctx.message());
  return out;
}

tree encode(const resource& r) {
  return std::visit(
      [](const auto& x) {
        tree t = tree::object();
        t["kind"] = std::string(to_string(x.kind));
        t["version"] = x.version;
        t["metadata"] = encode_metadata(x.meta);
        t["spec"] = encode_spec(x);
        return t;
      },
      r);
}

}  // namespace

resource_kind kind_of(const resource& r) {
  return static_cast<resource_kind>(r.index());
}

const metadata& meta_of(const resource& r) {
  return std::visit([](const auto& x) -> const metadata& { return x.meta; }, r);
}

metadata& meta_of(resource& r) {
  return std::visit([](auto& x) -> metadata& { return x.meta; }, r);
}

const std::string& version_of(const resource& r) {
  return std::visit([](const auto& x) -> const std::string& { return x.version; }, r);
}

std::string resource_ref(const resource& r) {
  return std::string(to_string(kind_of(r))) + "/" + meta_of(r).name;
}

tp::result<std::vector<resource>> parse_resources_yaml(std::string_view text) {
  auto docs = load_yaml_documents(text);
  if (!docs) return docs.err();
  if (docs->empty()) return tp::make_error("no resources found in the YAML input");
  std::vector<resource> out;
  out.reserve(docs->size());
  for (std::size_t i = 0; i < docs->size(); ++i) {
    const auto& doc = (*docs)[i];
    auto r = decode(doc.root, &doc.lines);
    if (!r) {
      if (docs->size() == 1) return r.err();
      return tp::make_error("document " + std::to_string(i + 1) + ": " + r.message());
    }
    out.push_back(std::move(*r));
  }
  return out;
}

tp::result<resource> parse_resource_yaml(std::string_view text) {
  auto all = parse_resources_yaml(text);
  if (!all) return all.err();
  if (all->size() != 1) {
    return tp::make_error("expected one resource, found " + std::to_string(all->size()) +
                          " documents");
  }
  return std::move(all->front());
}

std::string to_yaml(const resource& r, bool with_secrets) {
  return emit_yaml(encode(with_secrets ? r : without_secrets(r)));
}

std::string to_yaml(const std::vector<resource>& rs, bool with_secrets) {
  std::string out;
  for (std::size_t i = 0; i < rs.size(); ++i) {
    if (i > 0) out += "---\n";
    out += to_yaml(rs[i], with_secrets);
  }
  return out;
}

nlohmann::json to_json(const resource& r, bool with_secrets) {
  return nlohmann::json(encode(with_secrets ? r : without_secrets(r)));
}

tp::result<resource> from_json(const nlohmann::json& j) {
  return decode(tree(j), nullptr);
}

tp::result<resource> parse_resource_json(std::string_view text) {
  // The callback bounds nesting so hostile input cannot build absurdly deep trees.
  bool too_deep = false;
  tree j;
  try {
    j = tree::parse(text, [&](int depth, tree::parse_event_t, tree&) {
      if (depth > max_yaml_depth) too_deep = true;
      return !too_deep;
    });
  } catch (const nlohmann::json::exception& e) {
    return tp::make_error(std::string("invalid JSON: ") + e.what());
  }
  if (too_deep) return tp::make_error("invalid JSON: nesting is too deep");
  return decode(j, nullptr);
}

resource without_secrets(resource r) {
  std::visit([](auto& x) { clear_secrets(x); }, r);
  return r;
}

}  // namespace tp::messages
