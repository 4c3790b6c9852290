#include "messages/node.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "messages/resource.hpp"

using namespace tp::messages;
using namespace std::chrono_literals;
using tp::messages::testing::read_fixture;

namespace {

std::string error_of(const std::string& text) {
  auto r = parse_resource_yaml(text);
  REQUIRE_FALSE(r);
  return r.message();
}

}  // namespace

TEST_CASE("a node with static and command labels", "[node]") {
  auto parsed = as_kind<node>(parse_resource_yaml(read_fixture("node_turing.yaml")));
  REQUIRE(parsed);
  const node& n = *parsed;
  CHECK(n.meta.name == "d52527f9-b260-41d0-bb5a-e23b0cfe0f8f");
  CHECK(n.meta.namespace_name == "default");
  CHECK(n.spec.hostname == "turing");
  CHECK(n.spec.addr == "10.1.0.5:3022");
  const auto& kernel = n.spec.cmd_labels.at("kernel");
  CHECK(kernel.command == std::vector<std::string>{"uname", "-r"});
  CHECK(kernel.period == 1h);
  CHECK(kernel.result == "3.19.0-56");
  CHECK(n.all_labels() == std::map<std::string, std::string>{{"distro", "ubuntu"},
                                                             {"kernel", "3.19.0-56"},
                                                             {"uptime", "up 1 hour, 15 minutes"}});

  const std::string yaml = to_yaml(n);
  CHECK_THAT(yaml, Catch::Contains("    kernel:\n      command:\n      - uname\n      - '-r'\n"
                                   "      period: 1h0m0s\n"));
  auto again = parse_resource_yaml(yaml);
  REQUIRE(again);
  CHECK(std::get<node>(*again) == n);
  auto j = from_json(to_json(n));
  REQUIRE(j);
  CHECK(std::get<node>(*j) == n);
}

TEST_CASE("nodes keep a non-default namespace", "[node]") {
  node n;
  n.meta.name = "id-1";
  n.meta.namespace_name = "prod";
  n.spec.hostname = "luna";
  const std::string yaml = to_yaml(n);
  CHECK_THAT(yaml, Catch::Contains("  namespace: prod\n"));
  CHECK(std::get<node>(*parse_resource_yaml(yaml)) == n);
}

TEST_CASE("bad command labels are rejected", "[node]") {
  const std::string head = "kind: node\nmetadata:\n  name: n1\nspec:\n  cmd_labels:\n    arch:\n";
  CHECK(error_of(head + "      command: [uname, -p]\n      period: 0s\n") ==
        "spec.cmd_labels.arch.period: must be a positive duration like 1h0m0s (line 8)");
  CHECK_THAT(error_of(head + "      command: [uname, -p]\n      period: soon\n"),
             Catch::StartsWith("spec.cmd_labels.arch.period: invalid duration \"soon\""));
  CHECK_THAT(error_of(head + "      period: 1h\n"),
             Catch::StartsWith("spec.cmd_labels.arch.command: must name a program"));
  CHECK_THAT(error_of(head + "      command: uname\n      period: 1h\n"),
             Catch::StartsWith("spec.cmd_labels.arch.command: expected a list"));
  CHECK_THAT(error_of(head + "      command: [uname]\n      period: 1h\n      every: 2h\n"),
             Catch::StartsWith("spec.cmd_labels.arch.every: unknown field"));
  CHECK_THAT(error_of("kind: node\nmetadata:\n  name: n1\nspec:\n  cmd_labels:\n    'a b':\n"
                      "      command: [x]\n      period: 1h\n"),
             Catch::StartsWith("spec.cmd_labels.a b: label key \"a b\" may contain only"));
  CHECK_THAT(error_of("kind: node\nmetadata:\n  name: n1\n  namespace: a/b\n"),
             Catch::StartsWith("metadata.namespace: invalid namespace \"a/b\""));
}
