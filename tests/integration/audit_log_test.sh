#!/usr/bin/env bash
# The audit log as an administrator reads it: events of a real SSH session
# through `tctl get events` (with filters), and the day files' hash chain,
# which `tctl audit verify` checks and which a tampered line breaks.
source "$(dirname "$0")/lib.sh"

LOGIN="$(id -un)"
AUTH_PORT="$(free_port)"
SSH_PORT="$(free_port)"
tctl() { "$TP_BIN/tctl" -c "$WORK/teleport.yaml" "$@"; }
cat >"$WORK/teleport.yaml" <<YAML
teleport:
  nodename: auditnode
  data_dir: $WORK/data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: audit.test
  listen_addr: 127.0.0.1:$AUTH_PORT
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$SSH_PORT
proxy_service:
  enabled: no
YAML
start_bg "$WORK/teleport.log" "$TP_BIN/teleport" start -c "$WORK/teleport.yaml"
wait_for 20 grep -q "ssh service listening on" "$WORK/teleport.log" || fail "node did not start"
wait_for 20 tctl status || fail "tctl status failed"
cluster_user alice "$LOGIN"
pin_node_key "$WORK/data" "$SSH_PORT"
node_ssh() {
  timeout 20 ssh -F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
    -o ConnectTimeout=5 -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WORK/known_hosts" \
    -i "$WORK/alice" -p "$SSH_PORT" "$LOGIN@127.0.0.1" "$@"
}
node_ssh 'echo audited-command' </dev/null >/dev/null || fail "ssh to the node failed"
wait_for 10 sh -c "\"$TP_BIN/tctl\" -c \"$WORK/teleport.yaml\" get events --type=exec | grep -q audited-command" ||
  fail "the exec event did not reach tctl get events"
out="$(tctl get events --since=1h)"
assert_contains "$out" '"event":"session.start"' "session.start in tctl get events"
assert_contains "$out" '"event":"session.end"' "session.end in tctl get events"
assert_not_contains "$(tctl get events --type=exec --until=1h)" "audited-command" "--until filters"
[ "$(tctl get events --limit=1 2>/dev/null | wc -l)" = 1 ] || fail "--limit 1 returned more"
out="$(tctl get events --since=yesterday-ish 2>&1)" && fail "a bad --since was accepted"
assert_contains "$out" "--since" "bad --since names the flag"
pass "tctl get events: session events with --type/--since/--until/--limit filters"

out="$(tctl audit verify)" || fail "tctl audit verify failed on an untouched log: $out"
assert_contains "$out" ": OK (" "audit verify reports OK"
day="$(ls "$WORK/data/log/"*.log | head -n 1)"
python3 - "$day" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
lines[1] = lines[1].replace('"alice"', '"mallory"', 1) if '"alice"' in lines[1] else lines[1].replace('"event":"', '"event":"x', 1)
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
rc=0; out="$(tctl audit verify)" || rc=$?
[ "$rc" = 1 ] || fail "tctl audit verify exited $rc on a tampered file: $out"
assert_contains "$out" "line 2: its content was altered" "the tampered line is named"
pass "tctl audit verify: intact chain OK; an altered line is reported at its line number"
