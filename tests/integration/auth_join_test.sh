#!/usr/bin/env bash
# Joining a cluster: a node-only teleport presents a join token (dynamic from
# `tctl nodes add` or static from the auth config), checks the auth server
# against the CA pin, stores its identity and later starts without the token.
# Bad tokens, wrong roles and wrong pins are refused and leave nothing behind;
# a node's identity cannot call admin APIs.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"
tctl() { "$TP_BIN/tctl" -c "$WORK/auth.yaml" "$@"; }

# --- the auth server ---------------------------------------------------------
AUTH_PORT="$(free_port)"
cat >"$WORK/auth.yaml" <<YAML
teleport:
  nodename: auth-host
  data_dir: $WORK/auth-data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: example.test
  listen_addr: 127.0.0.1:$AUTH_PORT
  tokens:
  - "node:static-secret-token"
ssh_service:
  enabled: no
proxy_service:
  enabled: no
YAML
start_bg "$WORK/auth.log" "$T" start -c "$WORK/auth.yaml"
AUTH_PID=$LAST_PID
wait_for 20 tctl status || fail "tctl status did not succeed within 20s"
PIN="$(tctl status | awk '$1 == "CA" && $2 == "pin" {print $3}')"
[[ "$PIN" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "no CA pin in tctl status"
pass "auth-only teleport is up"

# node_yaml <name> <ssh port>: a node-only config with data_dir $WORK/<name>.
node_yaml() {
  cat >"$WORK/$1.yaml" <<YAML
teleport:
  nodename: $1
  data_dir: $WORK/$1
  auth_servers:
  - 127.0.0.1:$AUTH_PORT
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: no
proxy_service:
  enabled: no
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$2
YAML
}

# new_token <tctl nodes add args...>: prints the invite token.
new_token() {
  local out
  out="$(tctl nodes add "$@")" || fail "tctl nodes add $*"
  sed -n 's/^The invite token: *\([^ ]*\).*$/\1/p' <<<"$out"
}

# node_listed <name>: tctl nodes ls has a row for <name>.
node_listed() {
  local out
  out="$(tctl nodes ls 2>/dev/null)" || return 1
  awk -v n="$1" '$1 == n {found = 1} END {exit !found}' <<<"$out"
}

# --- a dynamic token --------------------------------------------------------------
add_out="$(tctl nodes add --roles=node --ttl=5m)" || fail "tctl nodes add"
TOKEN="$(sed -n 's/^The invite token: *\([^ ]*\).*$/\1/p' <<<"$add_out")"
[ -n "$TOKEN" ] || fail "no invite token in: $add_out"
assert_contains "$add_out" "will expire in 5 minutes" "nodes add states the ttl"
add_pin="$(grep -o -- '--ca-pin=sha256:[0-9a-f]*' <<<"$add_out" | head -n 1 | cut -d= -f2)"
[ "$add_pin" = "$PIN" ] || fail "nodes add pin '$add_pin' differs from tctl status pin $PIN"
assert_contains "$add_out" "--token=$TOKEN" "nodes add prints the start command"
assert_contains "$add_out" ":$AUTH_PORT" "nodes add names the auth server"
pass "tctl nodes add"

tokens_out="$(tctl tokens ls)"
grep -qF -- "$TOKEN" <<<"$tokens_out" || fail "tokens ls lacks the dynamic token: $tokens_out"
assert_not_contains "$(grep -F -- "$TOKEN" <<<"$tokens_out")" "never" "dynamic token expires"
static_row="$(grep -F static-secret-token <<<"$tokens_out")" || fail "tokens ls lacks the static token: $tokens_out"
assert_contains "$static_row" "never" "static token never expires"
pass "tctl tokens ls: dynamic and static tokens"

# --- join with token and pin -------------------------------------------------------
NODE1_PORT="$(free_port)"
node_yaml node-one "$NODE1_PORT"
N1="$WORK/node-one"
start_bg "$WORK/node-one.log" "$T" start -c "$WORK/node-one.yaml" --token="$TOKEN" --ca-pin="$PIN"
NODE1_PID=$LAST_PID
wait_for 20 grep -q "joined cluster" "$WORK/node-one.log" || fail "node-one did not join"
[ -f "$N1/identity/node.json" ] || fail "no identity/node.json after joining"
[ "$(stat -c %a "$N1/identity/node.json")" = 600 ] || fail "node identity is not 0600"
[ "$(stat -c %a "$N1/identity")" = 700 ] || fail "node identity dir is not 0700"
[ -s "$N1/host_uuid" ] || fail "no host_uuid after joining"
if grep -qi "no CA pin" "$WORK/node-one.log"; then fail "pinned join warned about a missing pin"; fi
wait_for 20 node_listed node-one || fail "tctl nodes ls does not list node-one: $(tctl nodes ls)"
row="$(tctl nodes ls | awk '$1 == "node-one"')"
assert_contains "$row" "$(cat "$N1/host_uuid")" "nodes ls Node ID is the host UUID"
assert_contains "$row" "127.0.0.1:$NODE1_PORT" "nodes ls Address"
pass "node joins with a dynamic token and the CA pin"

# --- restart without the token: the stored identity is used -------------------------
ident_sum="$(sha256sum <"$N1/identity/node.json")"
host_uuid="$(cat "$N1/host_uuid")"
kill -TERM "$NODE1_PID"
wait_exit "$NODE1_PID" 20
[ "$EXIT_CODE" = 0 ] || fail "node-one exit code after SIGTERM: $EXIT_CODE"
start_bg "$WORK/node-one-restart.log" "$T" start -c "$WORK/node-one.yaml" --ca-pin="$PIN"
NODE1_PID=$LAST_PID
wait_for 20 grep -q "teleport started" "$WORK/node-one-restart.log" || fail "node-one did not restart"
sleep 1
kill -0 "$NODE1_PID" 2>/dev/null || fail "restarted node-one exited: $(cat "$WORK/node-one-restart.log")"
if grep -q "joined cluster" "$WORK/node-one-restart.log"; then fail "restart joined again instead of using the identity"; fi
[ "$(sha256sum <"$N1/identity/node.json")" = "$ident_sum" ] || fail "identity rewritten on restart"
[ "$(cat "$N1/host_uuid")" = "$host_uuid" ] || fail "host_uuid changed on restart"
node_listed node-one || fail "node-one not listed after restart"
pass "restart without a token uses the stored identity"

# --- refusals ----------------------------------------------------------------------
# expect_refusal <name> <reason> <teleport start flags...>: a fresh node must
# exit non-zero in bounded time, log the reason, and store no identity.
expect_refusal() {
  local name="$1" reason="$2"; shift 2
  node_yaml "$name" "$(free_port)"
  start_bg "$WORK/$name.log" "$T" start -c "$WORK/$name.yaml" "$@"
  wait_exit "$LAST_PID" 15
  [ "$EXIT_CODE" != 0 ] || fail "$name: exited 0, expected a refusal"
  grep -qF -- "$reason" "$WORK/$name.log" || fail "$name: log does not contain '$reason'"
  if grep -q "joined cluster" "$WORK/$name.log"; then fail "$name: logged 'joined cluster'"; fi
  [ ! -e "$WORK/$name/identity/node.json" ] || fail "$name: identity stored despite the refusal"
  pass "refused: $name"
}

expect_refusal bad-token "invalid or expired join token" --token=not-a-token-of-this-cluster --ca-pin="$PIN"

deleted="$(new_token --roles=node --ttl=5m)"
[ -n "$deleted" ] || fail "no token to delete"
assert_contains "$(tctl tokens del "$deleted")" "Token $deleted has been deleted" "tokens del"
assert_not_contains "$(tctl tokens ls)" "$deleted" "deleted token still listed"
expect_refusal deleted-token "invalid or expired join token" --token="$deleted" --ca-pin="$PIN"

expired="$(new_token --roles=node --ttl=1s)"
[ -n "$expired" ] || fail "no short-lived token"
sleep 2
expect_refusal expired-token "invalid or expired join token" --token="$expired" --ca-pin="$PIN"

proxy_only="$(new_token --roles=proxy --ttl=5m)"
[ -n "$proxy_only" ] || fail "no proxy token"
expect_refusal wrong-role "token does not allow role" --token="$proxy_only" --ca-pin="$PIN"

zero_pin="sha256:$(printf '%064d' 0)"
expect_refusal wrong-pin "does not match the expected pin" --token=static-secret-token --ca-pin="$zero_pin"

# --- join with the static token and no pin: works, with a warning --------------------
node_yaml node-two "$(free_port)"
start_bg "$WORK/node-two.log" "$T" start -c "$WORK/node-two.yaml" --token=static-secret-token
NODE2_PID=$LAST_PID
wait_for 20 grep -q "joined cluster" "$WORK/node-two.log" || fail "node-two did not join with the static token"
grep -i "warn" "$WORK/node-two.log" | grep -qi "no CA pin" || fail "no warning about the missing CA pin"
[ -f "$WORK/node-two/identity/node.json" ] || fail "node-two stored no identity"
kill -0 "$NODE2_PID" 2>/dev/null || fail "node-two exited"
wait_for 20 node_listed node-two || fail "tctl nodes ls does not list node-two"
pass "static token without a pin joins and warns"

# --- a node identity cannot reach admin APIs ------------------------------------------
CALL="$TP_BIN/tp_auth_call"
cat >"$WORK/alice.yaml" <<YAML
kind: user
version: v2
metadata:
  name: alice
spec:
  roles:
  - admin
  traits:
    logins:
    - $(id -un)
YAML
tctl create "$WORK/alice.yaml" >/dev/null || fail "tctl create alice"
# Control: the admin identity may sign, so a refusal below is about the caller.
"$CALL" --identity "$WORK/auth-data/identity/admin.json" --auth-server "127.0.0.1:$AUTH_PORT" sign-user alice \
  >"$WORK/call-admin.out" 2>&1 || fail "admin identity cannot sign-user: $(cat "$WORK/call-admin.out")"
for req in "create-user mallory" "sign-user alice"; do
  # shellcheck disable=SC2086 # the request is two words on purpose
  if "$CALL" --identity "$N1/identity/node.json" --auth-server "127.0.0.1:$AUTH_PORT" $req \
    >"$WORK/call.out" 2>&1; then
    fail "node identity was allowed to $req"
  fi
  assert_contains "$(cat "$WORK/call.out")" "access denied" "node identity: $req"
done
users_out="$(tctl users ls)"
assert_not_contains "$users_out" "mallory" "user created by a node identity"
pass "node identity is denied admin requests"

kill -0 "$AUTH_PID" 2>/dev/null || fail "auth server died during the test"

# --- auth restarts: the node reconnects on its own (backoff with jitter) ------------
kill -TERM "$AUTH_PID"
wait_exit "$AUTH_PID" 20
kill -0 "$NODE1_PID" 2>/dev/null || fail "node-one exited when auth went away"
start_bg "$WORK/auth-restart.log" "$T" start -c "$WORK/auth.yaml"
AUTH_PID=$LAST_PID
wait_for 20 tctl status || fail "auth did not come back"
wait_for 40 grep -q "connected to auth again" "$WORK/node-one-restart.log" ||
  fail "node-one did not reconnect: $(tail -n 5 "$WORK/node-one-restart.log")"
wait_for 20 node_listed node-one || fail "node-one not listed after auth restarted"
pass "after an auth restart the node reconnects and is listed again"
