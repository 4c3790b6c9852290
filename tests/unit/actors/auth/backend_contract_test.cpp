// The backend contract (tests/unit/persistence/backend_contract.hpp) on the shared
// backends: a real etcd and a DynamoDB (dynalite). LMDB runs it in unit_persistence.
#include "tests/unit/actors/auth/shared_backends.hpp"

using tp::test::backends::dynamodb_fixture;
using tp::test::backends::etcd_fixture;

#define TP_BACKEND_FIXTURES etcd_fixture, dynamodb_fixture
#include "tests/unit/persistence/backend_contract.hpp"
