#include "config/sample.hpp"

#include <catch2/catch.hpp>

#include "config/load.hpp"

using namespace tp::config;

TEST_CASE("sample_config() parses and validates", "[config][sample]") {
  const std::string text = sample_config();
  CHECK(text.find('\t') == std::string::npos);
  auto report = check_config_text(text, "sample.yaml");
  INFO(join_lines(report.errors));
  REQUIRE(report.ok());
  CHECK(report.warnings.empty());
  const auto& c = *report.config;
  CHECK(c.global.nodename == local_hostname());
  CHECK(c.auth_service.cluster_name == "example");
  CHECK(c.auth_service.tokens.size() == 1);
  CHECK(c.ssh_service.commands.size() == 1);
  CHECK(c.proxy_service.web_listen_addr.port == 3080);
}

TEST_CASE("the sample's commented-out settings are valid when uncommented", "[config][sample]") {
  // The optional single-line settings the sample shows commented out.
  const std::vector<std::string> optional = {
      "nodename:",  "pid_file:",  "auth_token:",  "advertise_ip:",   "ciphers:",
      "kex_algos:", "mac_algos:", "public_addr:", "https_key_file:", "https_cert_file:"};
  std::string text = sample_config(), out;
  std::size_t start = 0, uncommented = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    const auto hash = line.find("# ");
    if (hash != std::string::npos && line.find_first_not_of(' ') == hash) {
      for (const auto& key : optional) {
        if (line.compare(hash + 2, key.size(), key) == 0) {
          line.erase(hash, 2);
          ++uncommented;
        }
      }
    }
    out += line + "\n";
  }
  CHECK(uncommented == optional.size());
  auto report = check_config_text(out, "uncommented.yaml");
  INFO(join_lines(report.errors));
  REQUIRE(report.ok());
  const auto& c = *report.config;
  CHECK(c.global.nodename == "node-1");
  CHECK(c.global.pid_file == "/run/teleport.pid");
  CHECK(c.global.advertise_ip == "10.0.0.12");
  CHECK(c.global.ciphers.size() == 2);
  CHECK(c.proxy_service.public_addr == std::vector<address>{{"proxy.example.com", 3080}});
  CHECK(c.proxy_service.https_cert_file == "/var/lib/teleport/webproxy_cert.pem");
}
