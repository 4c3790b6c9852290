// tp_backend: copies a data_dir's embedded store to and from JSON, so integration
// tests can start teleport on stored data made by an earlier version.
//   tp_backend dump <backend dir>          prints {"key": "value", ...} (live items)
//   tp_backend load <backend dir> <file>   writes every item of such a file
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "persistence/lmdb_backend.hpp"

using namespace tp;

int main(int argc, char** argv) {
  if (argc < 3 || (std::string(argv[1]) == "load" && argc < 4)) {
    std::cerr << "usage: tp_backend dump DIR | load DIR FILE\n";
    return 2;
  }
  const std::string op = argv[1];
  auto db = persistence::open_lmdb_backend(argv[2]);
  if (!db) return std::cerr << db.message() << "\n", 1;
  if (op == "dump") {
    auto items = (*db)->get_range("/");
    if (!items) return std::cerr << items.message() << "\n", 1;
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& it : *items) out[it.key] = it.value;
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (op == "load") {
    std::ifstream in(argv[3]);
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (!j.is_object()) return std::cerr << argv[3] << " is not a JSON object\n", 1;
    std::vector<persistence::item> items;
    for (const auto& [k, v] : j.items()) {
      if (!v.is_string()) return std::cerr << k << ": the value is not a string\n", 1;
      items.push_back({k, v.get<std::string>(), std::nullopt, 0});
    }
    if (auto st = (*db)->put_batch(items); !st) return std::cerr << st.message() << "\n", 1;
    return 0;
  }
  std::cerr << "unknown operation " << op << "\n";
  return 2;
}
