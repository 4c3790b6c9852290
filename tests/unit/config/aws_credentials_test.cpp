#include "config/aws_credentials.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

using namespace tp::config;

namespace {

struct fake_env {
  std::map<std::string, std::string> vars;
  std::function<std::optional<std::string>(const char*)> fn() const {
    return [this](const char* name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

}  // namespace

TEST_CASE("aws credentials file: profiles, comments and bad lines", "[aws]") {
  const std::string text =
      "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=s1\n\n"
      "[prod]\r\naws_access_key_id=AKIDPROD\r\naws_secret_access_key = s2\r\n"
      "aws_session_token = tok\r\n";
  auto d = parse_aws_credentials_file(text, "default");
  REQUIRE(d);
  REQUIRE(*d);
  CHECK((*d)->access_key == "AKIDDEFAULT");
  CHECK((*d)->secret_key == "s1");
  auto p = parse_aws_credentials_file(text, "prod");
  REQUIRE(p);
  REQUIRE(*p);
  CHECK((*p)->secret_key == "s2");
  CHECK((*p)->session_token == "tok");
  auto none = parse_aws_credentials_file(text, "staging");
  REQUIRE(none);
  CHECK_FALSE(*none);
  CHECK_THAT(parse_aws_credentials_file("[default\n", "default").message(),
             Catch::Contains("line 1"));
  CHECK_THAT(parse_aws_credentials_file("[default]\nnonsense\n", "default").message(),
             Catch::Contains("line 2"));
  CHECK_THAT(parse_aws_credentials_file("[default]\naws_access_key_id=x\n", "default").message(),
             Catch::Contains("needs both"));
}

TEST_CASE("aws credentials: teleport.yaml, then the environment, then the file", "[aws]") {
  fake_env env;
  env.vars = {{"AWS_ACCESS_KEY_ID", "AKIDENV"},
              {"AWS_SECRET_ACCESS_KEY", "envsecret"},
              {"AWS_SESSION_TOKEN", "envtok"}};
  auto k = resolve_aws_keys("AKIDCFG", "cfgsecret", env.fn());
  REQUIRE(k);
  CHECK(k->access_key == "AKIDCFG");
  CHECK(k->source == "teleport.yaml");
  k = resolve_aws_keys("", "", env.fn());
  REQUIRE(k);
  CHECK(k->access_key == "AKIDENV");
  CHECK(k->session_token == "envtok");
  CHECK(k->source == "environment");

  const auto dir = std::filesystem::temp_directory_path() / "tp-aws-creds-test";
  std::filesystem::create_directories(dir / ".aws");
  {
    std::ofstream f(dir / ".aws" / "credentials");
    f << "[default]\naws_access_key_id=AKIDFILE\naws_secret_access_key=filesecret\n"
         "[other]\naws_access_key_id=AKIDOTHER\naws_secret_access_key=othersecret\n";
  }
  fake_env file_env;
  file_env.vars = {{"HOME", dir.string()}};
  k = resolve_aws_keys("", "", file_env.fn());
  REQUIRE(k);
  CHECK(k->access_key == "AKIDFILE");
  CHECK_THAT(k->source, Catch::Contains("[default]"));
  file_env.vars["AWS_PROFILE"] = "other";
  k = resolve_aws_keys("", "", file_env.fn());
  REQUIRE(k);
  CHECK(k->access_key == "AKIDOTHER");
  file_env.vars["AWS_PROFILE"] = "missing";
  CHECK_THAT(resolve_aws_keys("", "", file_env.fn()).message(),
             Catch::Contains("no AWS credentials") && Catch::Contains("[missing]"));
  fake_env empty;
  empty.vars = {{"HOME", (dir / "nowhere").string()}};
  CHECK_THAT(resolve_aws_keys("", "", empty.fn()).message(), Catch::Contains("no AWS credentials"));
  std::filesystem::remove_all(dir);
}
