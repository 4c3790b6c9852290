// The shared storage backends the auth tests run on, each started once per test
// process (ctest runs each test case in its own process): a real etcd
// (tests/support/etcd_process) and a DynamoDB (tests/support/dynalite_process), with
// fixtures that open an empty store on them for the backend contract.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "persistence/backend.hpp"
#include "tests/support/dynalite_process.hpp"
#include "tests/support/etcd_process.hpp"

namespace tp::test::backends {

tp::test::etcd_process& etcd();
// Keys the DynamoDB accepts: good_key(); denied_key() gets AccessDeniedException.
tp::test::dynalite_process& dynalite();
const tp::test::dynalite_process::key& good_key();
const tp::test::dynalite_process::key& denied_key();

std::string fresh_prefix();      // "/test-<random>"
std::string fresh_table_name();  // "test-<random>"

config::etcd_config etcd_config_for(const tp::test::etcd_tls_files& tls, std::string prefix);
std::unique_ptr<persistence::backend> open_etcd_or_fail(const config::etcd_config& c);

config::dynamodb_config dynamodb_config_for(std::string table);  // with good_key()
std::unique_ptr<persistence::backend> open_dynamodb_or_fail(const config::dynamodb_config& c);

// Two auth servers creating the cluster's CA at the same moment on one store: exactly
// one create succeeds and both read the winner's value.
void check_one_create_wins(persistence::backend& a, persistence::backend& b);

struct etcd_fixture {
  std::unique_ptr<persistence::backend> open();
};
struct dynamodb_fixture {
  std::unique_ptr<persistence::backend> open();
};

}  // namespace tp::test::backends
