#!/usr/bin/env bash
# connection_limits on the node: max_users caps the distinct cluster users
# logged in at once; a user whose sessions ended frees the slot.
source "$(dirname "$0")/lib.sh"

LOGIN="$(id -un)"
AUTH_PORT="$(free_port)"
SSH_PORT="$(free_port)"
tctl() { "$TP_BIN/tctl" -c "$WORK/teleport.yaml" "$@"; }
cat >"$WORK/teleport.yaml" <<YAML
teleport:
  nodename: limitnode
  data_dir: $WORK/data
  connection_limits:
    max_users: 1
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: limits.test
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
for u in alice bob; do cluster_user "$u" "$LOGIN"; done
pin_node_key "$WORK/data" "$SSH_PORT"
as_user() {  # <user> <command>
  timeout 20 ssh -F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
    -o ConnectTimeout=5 -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WORK/known_hosts" \
    -i "$WORK/$1" -p "$SSH_PORT" "$LOGIN@127.0.0.1" "$2"
}

# alice holds a session open; her second session is fine (same user), bob is refused.
start_bg "$WORK/alice-session.log" as_user alice 'echo alice-in; sleep 6'
ALICE_PID=$LAST_PID
wait_for 10 grep -q alice-in "$WORK/alice-session.log" || fail "alice's session did not start"
[ "$(as_user alice 'echo again' </dev/null)" = again ] || fail "a second session of the same user was refused"
if as_user bob true </dev/null >"$WORK/bob.out" 2>&1; then fail "bob got in beyond max_users=1"; fi
assert_contains "$(cat "$WORK/bob.out")" "Permission denied" "bob refused"
wait_for 5 grep -q "max_users (1) reached" "$WORK/teleport.log" || fail "the refusal was not logged"
pass "max_users=1: a second cluster user is refused while the first is logged in"

wait_exit "$ALICE_PID" 20
# The client exits once it has the exit status; the node frees the slot when it
# has torn the connection down a moment later, so allow a few seconds.
bob_in() { [ "$(as_user bob 'echo bob-in' </dev/null 2>/dev/null)" = bob-in ]; }
wait_for 10 bob_in || fail "bob still refused after alice left"
pass "the slot frees when the first user's sessions end"
