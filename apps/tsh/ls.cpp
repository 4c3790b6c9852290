// tsh ls [label=value ...]: the cluster's live nodes, as the proxy lists them.
#include "apps/tsh/commands.hpp"
#include "apps/tsh/table.hpp"

namespace tp::apps::tsh {

int cmd_ls(const global_flags& g, const std::vector<std::string>& labels) {
  auto sel = parse_label_selector(labels);
  if (!sel) return fail(sel.message());
  auto s = open_session(g);
  if (!s) return fail(s.message());
  auto nodes = refresh_nodes(*s);
  if (!nodes) return fail(nodes.message());
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : select_nodes(*nodes, *sel)) {
    rows.push_back({n.hostname, n.id, printable(n.addr), printable(format_labels(n.labels))});
  }
  print_table({"Node Name", "Node ID", "Address", "Labels"}, rows);
  return 0;
}

}  // namespace tp::apps::tsh
