#include "apps/tsh/ssh_exec.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace tp::apps::tsh;

TEST_CASE("quoting for the shell and for ssh options") {
  CHECK(shell_quote("plain/path-1.0") == "plain/path-1.0");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("$(reboot)") == "'$(reboot)'");
  CHECK(ssh_option_path("/home/u/.tsh/k") == "/home/u/.tsh/k");
  CHECK(ssh_option_path("/home/a b/100%/k") == "\"/home/a b/100%%/k\"");
}

TEST_CASE("ssh options pin the tsh identity and known_hosts") {
  const ssh_identity id{"/h/.tsh/keys/p/joe", "/h/.tsh/keys/p/joe-cert.pub", "/h/.tsh/known_hosts"};
  const auto opts = identity_options(id);
  auto has = [&](const std::string& o) {
    return std::find(opts.begin(), opts.end(), o) != opts.end();
  };
  CHECK(opts.at(0) == "-F");
  CHECK(opts.at(1) == "/dev/null");
  CHECK(has("IdentityFile=/h/.tsh/keys/p/joe"));
  CHECK(has("CertificateFile=/h/.tsh/keys/p/joe-cert.pub"));
  CHECK(has("IdentitiesOnly=yes"));
  CHECK(has("UserKnownHostsFile=/h/.tsh/known_hosts"));
  CHECK(has("StrictHostKeyChecking=yes"));

  const auto argv = proxy_ssh_argv(id, {"proxy.example.com", 3023, ""}, "root");
  REQUIRE(argv.size() >= 5);
  CHECK(argv.front() == "ssh");
  CHECK(std::vector<std::string>(argv.end() - 5, argv.end()) ==
        std::vector<std::string>{"-p", "3023", "-l", "root", "proxy.example.com"});
}

TEST_CASE("ProxyCommand keeps ssh's tokens live and escapes everything else") {
  const ssh_identity id{"/h/100% sure/k", "/h/100% sure/k-cert.pub", "/h/kh"};
  const std::string pc = proxy_command(id, {"proxy.example.com", 3023, ""});
  CHECK(pc.rfind("ssh -F /dev/null ", 0) == 0);
  CHECK(pc.find(" -p 3023 -l %r proxy.example.com -s proxy:%h:%p") != std::string::npos);
  // Outer pass: %% -> %, shell: single quotes, inner ssh: "..." and %% -> %.
  CHECK(pc.find("'IdentityFile=\"/h/100%%%% sure/k\"'") != std::string::npos);
  const auto opts = node_options(id, {"proxy.example.com", 3023, ""});
  CHECK(opts.back() == "ProxyCommand=" + pc);
}

TEST_CASE("run_captured collects output and exit codes, and bounds time and size") {
  auto ok =
      run_captured({"sh", "-c", "echo out; echo err >&2; exit 3"}, std::chrono::seconds(10), 1024);
  REQUIRE(ok);
  CHECK(ok->exit_code == 3);
  CHECK(ok->out == "out\n");
  CHECK(ok->err == "err\n");

  auto missing = run_captured({"/nonexistent/tsh-test-program"}, std::chrono::seconds(10), 1024);
  REQUIRE(missing);
  CHECK(missing->exit_code == 127);
  CHECK(missing->err.find("cannot run") != std::string::npos);

  const auto start = std::chrono::steady_clock::now();
  auto slow = run_captured({"sleep", "30"}, std::chrono::milliseconds(300), 1024);
  CHECK_FALSE(slow);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));

  auto big = run_captured({"sh", "-c", "head -c 100000 /dev/zero"}, std::chrono::seconds(10), 1000);
  CHECK_FALSE(big);
}
