#!/usr/bin/env bash
# PAM on the node (ssh_service.pam), with pam_wrapper standing in for the
# system's PAM configuration: an account module that refuses stops the login;
# session modules run when a connection opens and again when it closes.
source "$(dirname "$0")/lib.sh"

PAM_WRAPPER_LIB=/usr/lib/x86_64-linux-gnu/libpam_wrapper.so
[ -f "$PAM_WRAPPER_LIB" ] || fail "libpam-wrapper is not installed (scripts/setup installs it)"
PAM_MODULES=/lib/x86_64-linux-gnu/security
LOGIN="$(id -un)"
AUTH_PORT="$(free_port)"
SSH_PORT="$(free_port)"
tctl() { "$TP_BIN/tctl" -c "$WORK/teleport.yaml" "$@"; }

mkdir -p "$WORK/pam.d"
cat >"$WORK/teleport.yaml" <<YAML
teleport:
  nodename: pamnode
  data_dir: $WORK/data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: pam.test
  listen_addr: 127.0.0.1:$AUTH_PORT
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$SSH_PORT
  pam:
    enabled: yes
    service_name: tp-test
proxy_service:
  enabled: no
YAML

# start_node <pam service file body>: (re)starts teleport under pam_wrapper.
start_node() {
  printf '%s\n' "$1" >"$WORK/pam.d/tp-test"
  if [ -n "${NODE_PID:-}" ]; then kill -TERM "$NODE_PID"; wait_exit "$NODE_PID" 10; fi
  start_bg "$WORK/teleport.log" env LD_PRELOAD="$PAM_WRAPPER_LIB" PAM_WRAPPER=1 \
    PAM_WRAPPER_SERVICE_DIR="$WORK/pam.d" "$TP_BIN/teleport" start -c "$WORK/teleport.yaml"
  NODE_PID=$LAST_PID
  wait_for 20 grep -q "ssh service listening on" "$WORK/teleport.log" || fail "node did not start"
  wait_for 20 tctl status || fail "tctl status failed"
}

node_ssh() {
  timeout 20 ssh -F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
    -o ConnectTimeout=5 -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WORK/known_hosts" \
    -i "$WORK/alice" -p "$SSH_PORT" "$LOGIN@127.0.0.1" "$@"
}

start_node "account required $PAM_MODULES/pam_deny.so
session required $PAM_MODULES/pam_permit.so"
cluster_user alice "$LOGIN"
pin_node_key "$WORK/data" "$SSH_PORT"

# --- account refused by PAM: no login -------------------------------------------
if node_ssh true </dev/null >"$WORK/deny.out" 2>&1; then fail "PAM account pam_deny let the login in"; fi
assert_contains "$(cat "$WORK/deny.out")" "Permission denied" "PAM account refusal"
wait_for 5 grep -q "PAM account refused" "$WORK/teleport.log" || fail "node did not log the PAM refusal"
pass "PAM account failure refuses the login"

# --- account allowed; session modules run on open and close ------------------------
start_node "account required $PAM_MODULES/pam_permit.so
session required $PAM_MODULES/pam_exec.so $WORK/session-hook.sh"
cat >"$WORK/session-hook.sh" <<HOOK
#!/bin/sh
echo "\$PAM_TYPE \$PAM_USER" >>"$WORK/sessions.log"
HOOK
chmod 755 "$WORK/session-hook.sh"
out="$(node_ssh 'echo in-session' </dev/null 2>"$WORK/allow.err")" ||
  fail "login with pam_permit failed: $(cat "$WORK/allow.err")"
[ "$out" = "in-session" ] || fail "unexpected output: $out"
wait_for 5 grep -q "^close_session $LOGIN\$" "$WORK/sessions.log" ||
  fail "session close module did not run: $(cat "$WORK/sessions.log" 2>/dev/null)"
grep -q "^open_session $LOGIN\$" "$WORK/sessions.log" || fail "session open module did not run"
pass "PAM session modules run on open and close"
