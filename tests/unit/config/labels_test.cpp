#include "config/labels.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace tp::config;
using argv = std::vector<std::string>;

TEST_CASE("flag --labels: static and command labels", "[config][labels]") {
  auto r = parse_labels_flag(R"(env=prod,uptime=[1m:"uptime -p"],kernel=[1h:"uname -r"])");
  REQUIRE(r.ok());
  CHECK(r->static_labels == std::map<std::string, std::string>{{"env", "prod"}});
  REQUIRE(r->commands.size() == 2);
  CHECK(r->commands[0] == command_label{"uptime", argv{"uptime", "-p"}, 1min});
  CHECK(r->commands[1] == command_label{"kernel", argv{"uname", "-r"}, 1h});
}

TEST_CASE("flag --labels: the manual's example after the shell removed the quotes", "[config][labels]") {
  auto r = parse_labels_flag("uptime=[1m:uptime -p],kernel=[1h:uname -r]");
  REQUIRE(r.ok());
  REQUIRE(r->commands.size() == 2);
  CHECK(r->commands[0].command == argv{"uptime", "-p"});
  CHECK(r->commands[1].period == 1h);
}

TEST_CASE("flag --labels: quoting inside commands", "[config][labels]") {
  auto r = parse_labels_flag(R"(load=[30s:"sh -c 'cut -d, -f1 /proc/loadavg'"],a=b)");
  REQUIRE(r.ok());
  REQUIRE(r->commands.size() == 1);
  CHECK(r->commands[0].command == argv{"sh", "-c", "cut -d, -f1 /proc/loadavg"});
  CHECK(r->static_labels.at("a") == "b");

  r = parse_labels_flag(R"(x=[1m:"echo \"a b\" ]c"])");
  REQUIRE(r.ok());
  CHECK(r->commands[0].command == argv{"echo", "a b", "]c"});

  r = parse_labels_flag(" env = prod , role=db ");
  REQUIRE(r.ok());
  CHECK(r->static_labels.at("env") == "prod");
  CHECK(r->static_labels.at("role") == "db");
  CHECK(parse_labels_flag("")->static_labels.empty());
}

TEST_CASE("flag --labels: bad syntax is a clear error", "[config][labels]") {
  struct bad_case {
    const char* text;
    const char* message;
  };
  for (auto [text, message] : {
           bad_case{"env", "expected key=value"},
           bad_case{"env=prod,", "trailing ','"},
           bad_case{"=prod", "empty label name"},
           bad_case{"bad key=x", "invalid label name"},
           bad_case{"a=1,a=2", "given twice"},
           bad_case{"k=[1m:\"uname -r\"", "expected ']' after the quoted command"},
           bad_case{"k=[1m:uname -r", "missing ']'"},
           bad_case{"k=[uname -r]", "expected [<period>:<command>]"},
           bad_case{"k=[1x:\"uname\"]", "invalid duration \"1x\""},
           bad_case{"k=[100ms:\"uname\"]", "shorter than 1s"},
           bad_case{"k=[1m:\"\"]", "empty command"},
           bad_case{"k=[1m:\"echo 'x\"]", "unterminated '"},
           bad_case{"k=[1m:\"unterminated]", "unterminated quote"},
           bad_case{"k=[1m:\"x\"]junk", "expected ','"},
           bad_case{"k=va\"lue", "invalid value"},
       }) {
    INFO(text);
    auto r = parse_labels_flag(text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains(message));
  }
}

TEST_CASE("split_command splits like a shell without running one", "[config][labels]") {
  CHECK(*split_command("uname -r") == argv{"uname", "-r"});
  CHECK(*split_command("  a   'b c'  \"d \\\" e\" f\\ g ") == argv{"a", "b c", "d \" e", "f g"});
  CHECK(*split_command("echo $HOME *") == argv{"echo", "$HOME", "*"});  // no expansion
  CHECK_FALSE(split_command("   ").ok());
  CHECK_FALSE(split_command("a\\").ok());
}

TEST_CASE("check_label_key", "[config][labels]") {
  CHECK(check_label_key("env").ok());
  CHECK(check_label_key("kubernetes.io/role-1_x").ok());
  CHECK_FALSE(check_label_key("").ok());
  CHECK_FALSE(check_label_key("a b").ok());
  CHECK_FALSE(check_label_key("a:b").ok());
  CHECK_FALSE(check_label_key(std::string(257, 'a')).ok());
}
