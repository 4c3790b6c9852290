#include "messages/yaml_tree.hpp"

#include <catch2/catch.hpp>

using tp::messages::emit_yaml;
using tp::messages::load_yaml_documents;
using tp::messages::tree;

namespace {

// Emits {k: s} and reads it back.
std::string through_yaml(const std::string& s) {
  const std::string text = emit_yaml(tree{{"k", s}});
  auto docs = load_yaml_documents(text);
  REQUIRE(docs);
  REQUIRE(docs->size() == 1);
  INFO(text);
  REQUIRE((*docs)[0].root["k"].is_string());
  return (*docs)[0].root["k"].get<std::string>();
}

}  // namespace

TEST_CASE("strings are quoted only when YAML would misread them", "[yaml]") {
  CHECK(emit_yaml(tree{{"k", "joe"}}) == "k: joe\n");
  CHECK(emit_yaml(tree{{"k", "0001-01-01T00:00:00Z"}}) == "k: 0001-01-01T00:00:00Z\n");
  CHECK(emit_yaml(tree{{"k", "main.example.com:3024"}}) == "k: main.example.com:3024\n");
  CHECK(emit_yaml(tree{{"k", "30h0m0s"}}) == "k: 30h0m0s\n");
  CHECK(emit_yaml(tree{{"*", "*"}}) == "'*': '*'\n");
  CHECK(emit_yaml(tree{{"k", "true"}}) == "k: 'true'\n");
  CHECK(emit_yaml(tree{{"k", "No"}}) == "k: 'No'\n");
  CHECK(emit_yaml(tree{{"k", "123"}}) == "k: '123'\n");
  CHECK(emit_yaml(tree{{"k", "-1.5e3"}}) == "k: '-1.5e3'\n");
  CHECK(emit_yaml(tree{{"k", "0x1F"}}) == "k: '0x1F'\n");
  CHECK(emit_yaml(tree{{"k", "1:20"}}) == "k: '1:20'\n");
  CHECK(emit_yaml(tree{{"k", "696c0471453e7588"}}) == "k: 696c0471453e7588\n");
  CHECK(emit_yaml(tree{{"k", ""}}) == "k: ''\n");
  CHECK(emit_yaml(tree{{"k", "{{internal.logins}}"}}) == "k: '{{internal.logins}}'\n");
  CHECK(emit_yaml(tree{{"k", "it's: x"}}) == "k: 'it''s: x'\n");
  CHECK(emit_yaml(tree{{"k", true}}) == "k: true\n");
}

TEST_CASE("any string survives emit and load", "[yaml]") {
  for (const std::string s : {"joe",
                              "*",
                              "true",
                              "yes",
                              "~",
                              "null",
                              "123",
                              "0x1F",
                              "1.5e3",
                              ".inf",
                              "",
                              "a: b",
                              "x #y",
                              "-p",
                              "- p",
                              "---",
                              "it's",
                              "\"quoted\"",
                              "back\\slash",
                              " lead",
                              "trail ",
                              "tab\there",
                              "a\x01z",
                              "line1\nline2",
                              "line1\nline2\n",
                              "l1\n\nl2\n\n",
                              "\n",
                              " \nx",
                              "\xc3\xbc"
                              "n\xc3\xaf"
                              "c\xc3\xb6"
                              "d\xc3\xa9",
                              "[a]",
                              "{b}",
                              "&anchor",
                              "!tag",
                              "%pct",
                              "@at",
                              "`tick",
                              "|pipe",
                              ">fold",
                              "a,b",
                              "ends:"}) {
    INFO("string: [" << s << "]");
    CHECK(through_yaml(s) == s);
  }
}

TEST_CASE("block layout follows tctl output", "[yaml]") {
  tree t = tree::object();
  t["spec"] = tree{{"roles", {"admin"}}, {"traits", {{"logins", {"joe", "root"}}}}};
  t["spec"]["rules"] = tree::array({tree{{"resources", {"*"}}, {"verbs", {"list", "read"}}}});
  t["spec"]["deny"] = tree::object();
  t["spec"]["pem"] = "-----BEGIN-----\nabc\n-----END-----\n";
  CHECK(emit_yaml(t) ==
        "spec:\n"
        "  roles:\n"
        "  - admin\n"
        "  traits:\n"
        "    logins:\n"
        "    - joe\n"
        "    - root\n"
        "  rules:\n"
        "  - resources:\n"
        "    - '*'\n"
        "    verbs:\n"
        "    - list\n"
        "    - read\n"
        "  deny: {}\n"
        "  pem: |\n"
        "    -----BEGIN-----\n"
        "    abc\n"
        "    -----END-----\n");
}

TEST_CASE("loading records lines by key path", "[yaml]") {
  auto docs = load_yaml_documents("a: 1\nspec:\n  roles:\n  - x\n  - y\n---\n\nb: [1, 2]\n");
  REQUIRE(docs);
  REQUIRE(docs->size() == 2);
  const auto& first = (*docs)[0];
  CHECK(first.root["a"] == "1");
  CHECK(first.lines.at("spec") == 2);
  CHECK(first.lines.at("spec.roles") == 3);
  CHECK(first.lines.at("spec.roles[1]") == 5);
  CHECK((*docs)[1].lines.at("b") == 8);  // lines count from the start of the stream
  CHECK((*docs)[1].root["b"] == tree::array({"1", "2"}));
}

TEST_CASE("bad or hostile YAML gives an error, not a crash", "[yaml]") {
  auto dup = load_yaml_documents("a: 1\nb: 2\na: 3\n");
  REQUIRE_FALSE(dup);
  CHECK(dup.message() == "a: duplicate key (line 3)");

  auto complex_key = load_yaml_documents("? [a, b]\n: c\n");
  REQUIRE_FALSE(complex_key);
  CHECK_THAT(complex_key.message(), Catch::Contains("keys must be plain strings"));

  auto syntax = load_yaml_documents("a: [1,\n b: c");
  REQUIRE_FALSE(syntax);
  CHECK_THAT(syntax.message(), Catch::StartsWith("invalid YAML at line 2, column"));

  auto tabs = load_yaml_documents("a:\n\tb: c\n");
  REQUIRE_FALSE(tabs);
  CHECK_THAT(tabs.message(), Catch::StartsWith("invalid YAML at line 2"));

  // Nine levels of ten aliases each would expand to 10^9 nodes.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", " : "") + prev;
    bomb += "]\n";
  }
  auto expanded = load_yaml_documents(bomb);
  REQUIRE_FALSE(expanded);
  CHECK_THAT(expanded.message(), Catch::Contains("too large"));

  std::string deep;
  for (int i = 0; i < 100; ++i) deep += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  auto nested = load_yaml_documents(deep);
  REQUIRE_FALSE(nested);
  CHECK_THAT(nested.message(), Catch::Contains("nesting is too deep"));

  auto flow_deep = load_yaml_documents(std::string(100000, '['));
  REQUIRE_FALSE(flow_deep);
  CHECK_THAT(flow_deep.message(), Catch::Contains("invalid YAML"));

  auto latin1 = load_yaml_documents("a: 1\nname: j\xf6rg\n");
  REQUIRE_FALSE(latin1);
  CHECK(latin1.message() == "invalid YAML at line 2: the text is not valid UTF-8");
  CHECK_FALSE(load_yaml_documents("a: \xed\xa0\x80\n"));  // a UTF-16 surrogate
  CHECK_FALSE(load_yaml_documents("a: \xc0\xaf\n"));      // an overlong '/'
  CHECK(load_yaml_documents("a: j\xc3\xb6rg \xf0\x9f\x94\x91\n"));

  auto huge = load_yaml_documents(std::string(tp::messages::max_yaml_bytes + 1, 'a'));
  REQUIRE_FALSE(huge);
  CHECK_THAT(huge.message(), Catch::Contains("larger than"));
}
