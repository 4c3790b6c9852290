#!/usr/bin/env bash
# `tctl auth rotate`, modelled on Teleport's TestRotateSuccess and TestRotateRollback.
# One teleport runs auth + proxy, a second one a node that joined with a token (so its
# control-plane link is real mutual TLS to auth). Through every phase of a manual host
# CA rotation the node keeps heartbeating, renews its certificates by itself and keeps
# serving an interactive session opened before the rotation; it restarts on the renewed
# identity afterwards. An automatic user CA rotation with a short grace period keeps
# old user certificates working until it ends and refuses them after; a rollback keeps
# the old CA. Out-of-order phases are refused and change nothing.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"
LOGIN="$(id -un)"
umask 077
unset SSH_AUTH_SOCK SSH_AGENT_PID

AUTH_PORT="$(free_port)"; NODE_PORT="$(free_port)"; PROXY_PORT="$(free_port)"
WEB_PORT="$(free_port)"; TUNNEL_PORT="$(free_port)"
cat >"$WORK/auth.yaml" <<YAML
teleport:
  nodename: hub
  data_dir: $WORK/auth-data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: rotate.test
  listen_addr: 127.0.0.1:$AUTH_PORT
  tokens:
  - node:rotate-node-token
ssh_service:
  enabled: no
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$PROXY_PORT
  web_listen_addr: 127.0.0.1:$WEB_PORT
  tunnel_listen_addr: 127.0.0.1:$TUNNEL_PORT
YAML
cat >"$WORK/node.yaml" <<YAML
teleport:
  nodename: luna
  data_dir: $WORK/node-data
  auth_token: rotate-node-token
  auth_servers:
  - 127.0.0.1:$AUTH_PORT
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: no
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$NODE_PORT
proxy_service:
  enabled: no
YAML
tctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/auth.yaml" "$@"; }

start_bg "$WORK/auth.log" "$T" start -c "$WORK/auth.yaml"
AUTH_PID=$LAST_PID
wait_secs 30 tctl status || fail "auth did not come up"
start_bg "$WORK/node.log" "$T" start -c "$WORK/node.yaml"
NODE_PID=$LAST_PID
node_listed() { tctl nodes ls | awk '$1 == "luna" {f = 1} END {exit !f}'; }
wait_secs 30 node_listed || fail "the node did not join: $(tail -5 "$WORK/node.log")"
pass "auth + proxy and a joined node are up"

sign_user() {  # <name>: a user with a fresh 1h certificate at $WORK/<name>
  cluster_user "$1" "$LOGIN"
  chmod 600 "$WORK/$1"
}
ssh_opts() {  # <user>
  echo -F /dev/null -o IdentitiesOnly=yes -i "$WORK/$1" -o CertificateFile="$WORK/$1-cert.pub" \
    -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10
}
# via_proxy <user>: runs a command on luna through the proxy; true if it printed 42.
via_proxy() {
  # shellcheck disable=SC2046
  timeout 20 ssh $(ssh_opts "$1") -o "ProxyCommand=ssh $(ssh_opts "$1") -p $PROXY_PORT %r@127.0.0.1 -s proxy:%h:%p" \
    -p "$NODE_PORT" "$LOGIN@127.0.0.1" 'echo $((6*7))' </dev/null 2>"$WORK/ssh.err" | grep -qx 42
}
signer() { ssh-keygen -L -f "$1" | sed -n 's/.*Signing CA: [A-Z0-9-]* \(SHA256:[^ ]*\).*/\1/p'; }
node_signer() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ssh_cert"])' \
    "$WORK/node-data/identity/node.json" >"$WORK/node-cert.pub"
  signer "$WORK/node-cert.pub"
}
node_host_cas() {
  python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["host_ca_keys"]))' \
    "$WORK/node-data/identity/node.json"
}
# status_line <CA> : the rotation line of tctl status for "User" or "Host".
status_line() { tctl status | grep "^$1 CA  rotation"; }
host_signer() { tctl status | sed -n '/^Host CA  rotation/{n;s/.*trusted: \(SHA256:[^ ]*\) (signs).*/\1/p}'; }

sign_user alice
wait_secs 20 via_proxy alice || fail "ssh through the proxy before rotating: $(cat "$WORK/ssh.err")"
assert_contains "$(status_line Host)" "standby, last rotated never" "tctl status before rotating"
OLD_NODE_SIGNER="$(node_signer)"
[ -n "$OLD_NODE_SIGNER" ] || fail "cannot read the node's host certificate"

# An interactive session that spans the whole host CA rotation.
mkfifo "$WORK/session.in"
exec 3<>"$WORK/session.in"
# shellcheck disable=SC2046
timeout 200 ssh -tt $(ssh_opts alice) \
  -o "ProxyCommand=ssh $(ssh_opts alice) -p $PROXY_PORT %r@127.0.0.1 -s proxy:%h:%p" \
  -p "$NODE_PORT" "$LOGIN@127.0.0.1" <"$WORK/session.in" >"$WORK/session.out" 2>&1 &
SESSION=$!
PIDS+=("$SESSION")
echo 'echo before-$((2*3))' >&3
wait_secs 20 grep -q "before-6" "$WORK/session.out" || fail "the interactive session: $(cat "$WORK/session.out")"

# --- bad steps are refused and change nothing -------------------------------------------------
out="$(tctl auth rotate --manual --type=host --phase=update_servers 2>&1)" && fail "update_servers from standby was accepted"
assert_contains "$out" "can move to init, not to update_servers" "out-of-order phase"
out="$(tctl auth rotate --manual --phase=init 2>&1)" && fail "a manual rotation without --type was accepted"
assert_contains "$out" "--type" "manual rotation needs a type"
out="$(tctl auth rotate --grace-period=soon 2>&1)" && fail "a bad grace period was accepted"
assert_contains "$out" "--grace-period" "bad grace period"
out="$(tctl auth rotate --grace-period=5s 2>&1)" && fail "a 5 s grace period was accepted"
assert_contains "$out" "at least 30s" "too short a grace period"
assert_contains "$(status_line Host)" "standby" "nothing changed after refused steps"
assert_contains "$(status_line User)" "standby" "nothing changed after refused steps"
pass "out-of-order phases, a missing --type and a bad grace period are refused"

# --- manual host CA rotation: init -> update_clients -> update_servers -> standby ---------------
rotate_host() {
  tctl auth rotate --manual --type=host --phase="$1" >"$WORK/rotate.out" 2>&1 ||
    fail "rotate --phase=$1: $(cat "$WORK/rotate.out")"
  assert_contains "$(status_line Host)" "$2" "tctl status after $1"
}
rotate_host init "in progress, phase init (manual)"
two_cas() { [ "$(node_host_cas)" = 2 ]; }
wait_secs 20 two_cas || fail "the node does not trust the new host CA: $(tail -5 "$WORK/node.log")"
[ "$(node_signer)" = "$OLD_NODE_SIGNER" ] || fail "the node renewed in init"
via_proxy alice || fail "ssh in init: $(cat "$WORK/ssh.err")"
pass "init: the node trusts both host CAs and keeps its certificates"

rotate_host update_clients "phase update_clients (manual)"
NEW_SIGNER="$(host_signer)"
[ -n "$NEW_SIGNER" ] && [ "$NEW_SIGNER" != "$OLD_NODE_SIGNER" ] || fail "no new host CA signs: $(tctl status)"
renewed() { [ "$(node_signer)" = "$NEW_SIGNER" ]; }
wait_secs 20 renewed || fail "the node did not renew its certificates: $(tail -5 "$WORK/node.log")"
grep -q "renewed its certificates" "$WORK/node.log" || fail "the node's log does not say it renewed"
# The renewed TLS certificate carries the heartbeats: the node stays listed past its TTL.
sleep 16
node_listed || fail "the node dropped out after renewing: $(tail -5 "$WORK/node.log")"
via_proxy alice || fail "ssh in update_clients: $(cat "$WORK/ssh.err")"
pass "update_clients: the node renewed its certificates with the new CA and keeps heartbeating"

rotate_host update_servers "phase update_servers (manual)"
tctl nodes ls >/dev/null || fail "tctl against the auth server's new certificate"
via_proxy alice || fail "ssh in update_servers: $(cat "$WORK/ssh.err")"
rotate_host standby "standby, last rotated 2"
one_ca() { [ "$(node_host_cas)" = 1 ]; }
wait_secs 20 one_ca || fail "the node still trusts the old host CA"
sleep 6
node_listed || fail "the node dropped out after the rotation"
via_proxy alice || fail "ssh after the host CA rotation: $(cat "$WORK/ssh.err")"
echo 'echo during-$((3*3))' >&3
wait_secs 20 grep -q "during-9" "$WORK/session.out" || fail "the session opened before the rotation: $(cat "$WORK/session.out")"
pass "standby: only the new host CA is trusted; the session opened before the rotation still works"

# The renewed identity is what the node restarts with.
kill -TERM "$NODE_PID"; wait_exit "$NODE_PID" 20
start_bg "$WORK/node2.log" "$T" start -c "$WORK/node.yaml"
NODE_PID=$LAST_PID
grep_connected() { grep -q "ssh service listening" "$WORK/node2.log"; }
wait_secs 20 grep_connected || fail "the node did not restart: $(tail -5 "$WORK/node2.log")"
sleep 6
grep -q "cannot reach auth" "$WORK/node2.log" && fail "the restarted node cannot reach auth: $(tail -5 "$WORK/node2.log")"
node_listed || fail "the restarted node is not listed"
wait_secs 20 via_proxy alice || fail "ssh to the restarted node: $(cat "$WORK/ssh.err")"
pass "the node restarts on its renewed identity"

# --- automatic user CA rotation: old certificates work until the grace period ends -----------
OLD_USER_SIGNER="$(signer "$WORK/alice-cert.pub")"
tctl auth rotate --type=user --grace-period=30s >"$WORK/rotate.out" 2>&1 || fail "auto rotate: $(cat "$WORK/rotate.out")"
assert_contains "$(cat "$WORK/rotate.out")" "Initiated certificate authority rotation" "tctl auth rotate"
assert_contains "$(status_line User)" "phase init (auto), update_clients at" "tctl status in an auto rotation"
in_update_clients() { status_line User | grep -q "update_clients (auto)"; }
wait_secs 15 in_update_clients || fail "the auto rotation did not reach update_clients: $(status_line User)"
sign_user bob
[ "$(signer "$WORK/bob-cert.pub")" != "$OLD_USER_SIGNER" ] || fail "bob's certificate is from the old user CA"
wait_secs 15 via_proxy bob || fail "a certificate of the new user CA: $(cat "$WORK/ssh.err")"
via_proxy alice || fail "a certificate of the old user CA during the grace period: $(cat "$WORK/ssh.err")"
pass "during the grace period certificates of both user CAs work"
done_user() { status_line User | grep -q "standby, last rotated 2"; }
wait_secs 40 done_user || fail "the auto rotation did not end: $(status_line User)"
old_refused() { ! via_proxy alice; }
wait_secs 15 old_refused || fail "alice's certificate of the old user CA still works after the grace period"
via_proxy bob || fail "bob's certificate after the rotation: $(cat "$WORK/ssh.err")"
pass "after the grace period the old user CA's certificates are refused, the new ones work"

# --- rollback: the old CA signs again, the new one goes away --------------------------------
rotate_user() {
  tctl auth rotate --manual --type=user --phase="$1" >"$WORK/rotate.out" 2>&1 ||
    fail "rotate --phase=$1: $(cat "$WORK/rotate.out")"
}
rotate_user init
rotate_user update_clients
sign_user carol  # signed by the CA that is rolled back
wait_secs 15 via_proxy carol || fail "carol during update_clients: $(cat "$WORK/ssh.err")"
rotate_user rollback
assert_contains "$(status_line User)" "phase rollback (manual)" "tctl status in rollback"
sign_user dave
[ "$(signer "$WORK/dave-cert.pub")" = "$(signer "$WORK/bob-cert.pub")" ] || fail "after rollback the old CA does not sign"
via_proxy carol || fail "carol during rollback (the new CA stays trusted until standby)"
rotate_user standby
carol_refused() { ! via_proxy carol; }
wait_secs 15 carol_refused || fail "carol's certificate of the rolled-back CA still works"
via_proxy dave || fail "dave after the rollback: $(cat "$WORK/ssh.err")"
via_proxy bob || fail "bob after the rollback: $(cat "$WORK/ssh.err")"
pass "rollback: the previous user CA signs and is the only one trusted afterwards"

echo 'exit' >&3
wait_exit "$SESSION" 20
kill -0 "$AUTH_PID" || fail "auth exited"
pass "ca rotation"
