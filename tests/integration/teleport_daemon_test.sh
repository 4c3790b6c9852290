#!/usr/bin/env bash
# The daemon's lifecycle as an administrator drives it: version, configure,
# configure --test, start with a config file and flags, PID file, data_dir
# permissions, clean exit on SIGTERM/SIGINT, and refusal to start on bad config.
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"

# version
out="$("$T" version)"
assert_contains "$out" "Teleport v" "teleport version"
pass "version"

# status outside a session is an error
if "$T" status >/dev/null 2>"$WORK/status.err"; then fail "status outside a session succeeded"; fi
assert_contains "$(cat "$WORK/status.err")" "only inside an active Teleport SSH session" "status"
pass "status outside a session"

# configure prints a sample that itself validates
"$T" configure >"$WORK/sample.yaml"
assert_contains "$(cat "$WORK/sample.yaml")" "auth_service:" "sample"
"$T" configure --test "$WORK/sample.yaml" >/dev/null || fail "the sample config does not validate"
pass "configure sample validates"

# configure --test reports every error with file:line and exits non-zero
cat >"$WORK/bad.yaml" <<YAML
teleport:
  data_dir: $WORK/bad-data
  nodnamee: typo
auth_service:
  listen_addr: 0.0.0.0:99999
ssh_service:
  commands:
  - name: arch
    command: [uname, -p]
    period: forever
YAML
if "$T" configure --test "$WORK/bad.yaml" >"$WORK/bad.out" 2>&1; then fail "bad config validated"; fi
bad="$(cat "$WORK/bad.out")"
assert_contains "$bad" "bad.yaml:3" "unknown key line"
assert_contains "$bad" "nodnamee" "unknown key name"
assert_contains "$bad" "bad.yaml:5" "bad port line"
assert_contains "$bad" "bad.yaml:10" "bad duration line"
pass "configure --test reports all errors"

# start refuses a bad config and creates nothing
if "$T" start -c "$WORK/bad.yaml" >"$WORK/badstart.log" 2>&1; then fail "start with bad config"; fi
[ ! -e "$WORK/bad-data" ] || fail "data_dir was created despite the bad config"
assert_contains "$(cat "$WORK/badstart.log")" "nodnamee" "start error names the key"
pass "start refuses bad config"

# tabs in YAML are named with their line
printf 'teleport:\n\tnodename: x\n' >"$WORK/tabs.yaml"
if "$T" configure --test "$WORK/tabs.yaml" >"$WORK/tabs.out" 2>&1; then fail "tabs accepted"; fi
assert_contains "$(cat "$WORK/tabs.out")" "tabs.yaml:2" "tab line"
pass "tabs rejected"

# a good config: start, PID file, data_dir 0700, SIGTERM
cat >"$WORK/good.yaml" <<YAML
teleport:
  nodename: itest
  data_dir: $WORK/data/sub
  log:
    output: stderr
    severity: INFO
auth_service:
  cluster_name: itest-cluster
YAML
start_bg "$WORK/daemon.log" "$T" start -c "$WORK/good.yaml" --pid-file "$WORK/teleport.pid" --roles auth,node
pid=$LAST_PID
wait_for 20 test -s "$WORK/teleport.pid" || fail "PID file not written"
[ "$(cat "$WORK/teleport.pid")" = "$pid" ] || fail "PID file holds $(cat "$WORK/teleport.pid"), not $pid"
[ "$(stat -c %a "$WORK/data/sub")" = "700" ] || fail "data_dir mode is $(stat -c %a "$WORK/data/sub")"
wait_for 20 grep -q "teleport started" "$WORK/daemon.log" || fail "no start message"
assert_contains "$(cat "$WORK/daemon.log")" "roles auth,node" "roles flag overrides"
assert_not_contains "$(cat "$WORK/daemon.log")" "proxy service started" "proxy not in --roles"
kill -USR1 "$pid"
wait_for 10 grep -q "diagnostics:" "$WORK/daemon.log" || fail "USR1 did not dump diagnostics"
kill -TERM "$pid"
wait_exit "$pid" 20
[ "$EXIT_CODE" = 0 ] || fail "exit code after SIGTERM: $EXIT_CODE"
[ ! -e "$WORK/teleport.pid" ] || fail "PID file left behind"
pass "start, pid file, data_dir 0700, SIGTERM"

# -d gives debug logs; SIGINT stops too; flags override the file (nodename)
start_bg "$WORK/debug.log" "$T" start -d -c "$WORK/good.yaml" --nodename flagname
pid=$LAST_PID
wait_for 20 grep -q "teleport started" "$WORK/debug.log" || fail "no start message with -d"
assert_contains "$(cat "$WORK/debug.log")" "nodename flagname" "--nodename overrides the file"
kill -INT "$pid"
wait_exit "$pid" 20
[ "$EXIT_CODE" = 0 ] || fail "exit code after SIGINT: $EXIT_CODE"
pass "debug, SIGINT, flag override"

# the auth role keeps its storage (LMDB, 0600) and its cluster name in data_dir
[ "$(stat -c %a "$WORK/data/sub/backend/data.mdb")" = "600" ] || fail "backend file mode"
assert_contains "$(cat "$WORK/daemon.log")" 'cluster "itest-cluster"' "cluster name from config"
sed 's/itest-cluster/renamed/' "$WORK/good.yaml" >"$WORK/renamed.yaml"
if "$T" start -c "$WORK/renamed.yaml" >"$WORK/renamed.log" 2>&1; then fail "cluster rename accepted"; fi
assert_contains "$(cat "$WORK/renamed.log")" 'was created as "itest-cluster"' "rename refused"
grep -v cluster_name "$WORK/good.yaml" >"$WORK/noname.yaml"
start_bg "$WORK/noname.log" "$T" start -c "$WORK/noname.yaml"
pid=$LAST_PID
wait_for 20 grep -q "teleport started" "$WORK/noname.log" || fail "no start without cluster_name"
assert_contains "$(cat "$WORK/noname.log")" 'cluster "itest-cluster"' "stored cluster name kept"
kill -TERM "$pid"
wait_exit "$pid" 20
pass "storage and cluster name persist"

# an explicitly named config file that does not exist is an error
if "$T" start -c "$WORK/missing.yaml" >"$WORK/missing.log" 2>&1; then fail "missing config accepted"; fi
assert_contains "$(cat "$WORK/missing.log")" "missing.yaml" "missing config named"
pass "missing config file"
