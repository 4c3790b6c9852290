#!/usr/bin/env bash
# Auth migrates stored data at start: a store made by version 0.1.0 (storage schema 1,
# tests/data/schema_v1) comes up under the current schema with its CAs, cluster name
# and users kept, and CA rotation works on it. A store of a newer schema is refused
# with a clear error and left as it was.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"
FIXTURE="${TP_SOURCE_DIR:?}/tests/data/schema_v1/backend.json"
umask 077
AUTH_PORT="$(free_port)"
cat >"$WORK/teleport.yaml" <<YAML
teleport:
  nodename: legacy
  data_dir: $WORK/data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: legacy.test
  listen_addr: 127.0.0.1:$AUTH_PORT
ssh_service:
  enabled: no
proxy_service:
  enabled: no
YAML
tctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/teleport.yaml" "$@"; }
mkdir -p "$WORK/data"
"$TP_BIN/tp_backend" load "$WORK/data/backend" "$FIXTURE" || fail "loading the schema 1 fixture"
[ -z "$("$TP_BIN/tp_backend" dump "$WORK/data/backend" | grep schema_version)" ] || fail "the fixture has a schema version"

start_bg "$WORK/teleport.log" "$T" start -c "$WORK/teleport.yaml"
PID=$LAST_PID
wait_for 30 tctl status || fail "auth did not start on the schema 1 store: $(tail -5 "$WORK/teleport.log")"
grep -q "storage schema migrated from version 1 to 2 (2 record(s) updated)" "$WORK/teleport.log" ||
  fail "no migration logged: $(grep -i schema "$WORK/teleport.log")"
status="$(tctl status)"
assert_contains "$status" "SHA256:AczN8xzXc6VvwGFrfe0DiZysUZgjO0v0N9V7V8KE9HM" "the user CA is kept"
assert_contains "$status" "SHA256:Z+HJLLtyOIGXF7UYcwItosnvOr4x338HSdNMFjbvs+U" "the host CA is kept"
assert_contains "$status" "User CA  rotation standby" "the user CA's rotation state"
assert_contains "$(tctl users ls)" "alice" "the stored user"
cas="$(tctl get cert_authority)"
[ "$(grep -c 'state: standby' <<<"$cas")" -ge 2 ] || fail "CA records without a rotation state: $cas"
pass "a schema 1 store is migrated at start, keeping its CAs and users"

tctl auth rotate --manual --type=user --phase=init >/dev/null || fail "rotation on the migrated store"
assert_contains "$(tctl status)" "phase init (manual)" "rotation state on the migrated store"
tctl auth rotate --manual --type=user --phase=rollback >/dev/null || fail "rollback"
tctl auth rotate --manual --type=user --phase=standby >/dev/null || fail "standby"
assert_contains "$(tctl status)" "SHA256:AczN8xzXc6VvwGFrfe0DiZysUZgjO0v0N9V7V8KE9HM" "the rolled back user CA"

# A second start finds the current schema: nothing to migrate.
kill -TERM "$PID"; wait_exit "$PID" 20
start_bg "$WORK/teleport2.log" "$T" start -c "$WORK/teleport.yaml"
PID=$LAST_PID
wait_for 30 tctl status || fail "auth did not start again"
grep -q "storage schema migrated" "$WORK/teleport2.log" && fail "migrated a second time"
kill -TERM "$PID"; wait_exit "$PID" 20
pass "rotation works on the migrated store; a second start migrates nothing"

# A newer schema (a downgrade) is refused; the store is left as it was.
echo '{"/meta/schema_version": "3"}' >"$WORK/newer.json"
"$TP_BIN/tp_backend" load "$WORK/data/backend" "$WORK/newer.json" || fail "writing schema 3"
before="$("$TP_BIN/tp_backend" dump "$WORK/data/backend")"
rc=0
out="$(timeout 30 "$T" start -c "$WORK/teleport.yaml" 2>&1)" || rc=$?
[ "$rc" != 0 ] || fail "teleport started on a store of a newer schema"
assert_contains "$out" "written by a newer teleport (storage schema 3; this one knows up to 2)" "the downgrade error"
[ "$before" = "$("$TP_BIN/tp_backend" dump "$WORK/data/backend")" ] || fail "the refused start changed the store"
pass "a store of a newer schema is refused and left unchanged"
