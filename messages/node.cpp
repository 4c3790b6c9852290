#include "messages/node.hpp"

#include "messages/tree_reader.hpp"
#include "messages/tree_writer.hpp"

namespace tp::messages {

std::map<std::string, std::string> node::all_labels() const {
  std::map<std::string, std::string> out = meta.labels;
  for (const auto& [name, label] : spec.cmd_labels) out[name] = label.result;
  return out;
}

void decode_spec(map_reader& in, node& res) {
  node_spec& out = res.spec;
  in.read("addr", out.addr);
  in.read("public_addr", out.public_addr);
  in.read("hostname", out.hostname);
  in.read("host_key", out.host_key);
  in.read("version", out.version);
  in.for_each_entry("cmd_labels", [&](const std::string& name, map_reader& r) {
    if (auto st = validate_label_key(name); !st) {
      r.fail("", st.message());
      return;
    }
    auto& label = out.cmd_labels[name];
    r.read("period", label.period);
    r.read("command", label.command);
    r.read("result", label.result);
    if (r.failed()) return;
    if (label.period.count() <= 0) r.fail("period", "must be a positive duration like 1h0m0s");
    if (label.command.empty()) r.fail("command", "must name a program to run");
  });
}

tree encode_spec(const node& res) {
  const node_spec& in = res.spec;
  tree spec = tree::object();
  put_nonempty(spec, "addr", in.addr);
  put_nonempty(spec, "public_addr", in.public_addr);
  put_nonempty(spec, "hostname", in.hostname);
  put_nonempty(spec, "host_key", in.host_key);
  put_nonempty(spec, "version", in.version);
  if (!in.cmd_labels.empty()) {
    tree labels = tree::object();
    for (const auto& [name, label] : in.cmd_labels) {
      tree l = tree::object();
      l["command"] = label.command;
      put_duration(l, "period", label.period);
      put_nonempty(l, "result", label.result);
      labels[name] = std::move(l);
    }
    spec["cmd_labels"] = std::move(labels);
  }
  return spec;
}

}  // namespace tp::messages
