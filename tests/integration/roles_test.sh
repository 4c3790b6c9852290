#!/usr/bin/env bash
# Roles: a user limited to env=staging nodes. One teleport runs auth, proxy and the
# node "alpha" (env: staging); a second runs the node "beta" (env: prod). The role
# is a `kind: role` resource made with tctl create; the user signs up from
# `tctl users add --roles=staging`, logs in with tsh, and then:
#   - tsh ls and the proxy's node list show alpha only (the admin sees both);
#   - tsh ssh, OpenSSH through the proxy (-J) and OpenSSH straight to beta's port
#     are all refused for beta, and work for alpha; the node's refusal is audited;
#   - the certificate carries the role's max_session_ttl and no agent forwarding;
#   - an edited role applies from the next certificate (deny wins over allow);
#   - a login whose role is gone is refused and audited with the reason.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"
LOGIN="$(id -un)"
umask 077
unset SSH_AUTH_SOCK SSH_AGENT_PID TELEPORT_PROXY TELEPORT_USER TELEPORT_HOME
export HOME="$WORK/home"
mkdir -p "$HOME"
tctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/teleport.yaml" "$@"; }
tsh() { timeout 30 "$TP_BIN/tsh" "$@"; }

AUTH_PORT="$(free_port)"; ALPHA_PORT="$(free_port)"; BETA_PORT="$(free_port)"
PROXY_SSH_PORT="$(free_port)"; WEB_PORT="$(free_port)"; TUNNEL_PORT="$(free_port)"
cat >"$WORK/teleport.yaml" <<YAML
teleport:
  nodename: alpha
  data_dir: $WORK/data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: roles.test
  listen_addr: 127.0.0.1:$AUTH_PORT
  tokens:
  - "node:roles-node-token"
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$ALPHA_PORT
  labels:
    env: staging
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$PROXY_SSH_PORT
  web_listen_addr: 127.0.0.1:$WEB_PORT
  tunnel_listen_addr: 127.0.0.1:$TUNNEL_PORT
  public_addr: 127.0.0.1:$WEB_PORT
YAML
cat >"$WORK/beta.yaml" <<YAML
teleport:
  nodename: beta
  data_dir: $WORK/beta
  auth_token: roles-node-token
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
  listen_addr: 127.0.0.1:$BETA_PORT
  labels:
    env: prod
YAML
start_bg "$WORK/teleport.log" "$T" start -c "$WORK/teleport.yaml"
TP_PID=$LAST_PID
WEB="https://127.0.0.1:$WEB_PORT"
wait_secs 30 curl -skf --max-time 2 "$WEB/webapi/ping" || fail "no answer on $WEB/webapi/ping: $(tail -5 "$WORK/teleport.log")"
start_bg "$WORK/beta.log" "$T" start -c "$WORK/beta.yaml"
listed() { tctl nodes ls 2>/dev/null | awk -v n="$1" '$1 == n {f = 1} END {exit !f}'; }
wait_secs 30 listed alpha || fail "alpha is not listed: $(tctl nodes ls 2>&1)"
wait_secs 30 listed beta || fail "beta is not listed: $(tctl nodes ls 2>&1)"
kill -0 "$TP_PID" 2>/dev/null || fail "teleport exited"
pass "auth+proxy+alpha (env=staging) and beta (env=prod) are up"

# --- the role and the user ------------------------------------------------------------
out="$(tctl get roles)" || fail "tctl get roles: $out"
assert_contains "$out" "name: admin" "the built-in admin role is stored"
cat >"$WORK/staging.yaml" <<'YAML'
kind: role
version: v3
metadata:
  name: staging
spec:
  options:
    max_session_ttl: 2h
    forward_agent: false
  allow:
    logins: ['{{internal.logins}}']
    node_labels:
      env: staging
  deny: {}
YAML
tctl create "$WORK/staging.yaml" >/dev/null || fail "tctl create the staging role"
assert_contains "$(tctl get role/staging)" "env: staging" "tctl get role/staging"
out="$(tctl users add nobody "$LOGIN" --roles=no-such-role 2>&1)" && fail "users add with a missing role worked: $out"
assert_contains "$out" 'role "no-such-role" not found' "tctl users add --roles with a missing role"
SAM_PASS="sam-pass-$RANDOM$RANDOM"
web_signup "$WEB" sam "$LOGIN" "$SAM_PASS" --roles=staging
SAM_SECRET="$SIGNUP_SECRET" SAM_STEP="$SIGNUP_STEP"
assert_contains "$(tctl users ls)" "staging" "tctl users ls shows sam's role"
cluster_user alice "$LOGIN"  # an admin, with a certificate from tctl auth sign
pass "a staging role from tctl create; sam signs up with --roles=staging"

SAM_OTP="$(fresh_otp "$SAM_SECRET" "$SAM_STEP")"
SAM_STEP=$(($(date +%s) / 30))
tsh_login "127.0.0.1:$WEB_PORT" sam "$SAM_PASS" "$SAM_OTP"
status_out="$(tsh status)" || fail "tsh status"
assert_contains "$status_out" "Roles:        staging" "tsh status shows the role"
KEYS="$HOME/.tsh/keys/127.0.0.1"
cert_text="$(ssh-keygen -L -f "$KEYS/sam-cert.pub")" || fail "ssh-keygen -L sam's certificate"
assert_not_contains "$cert_text" "permit-agent-forwarding" "the role forbids agent forwarding"
assert_contains "$cert_text" "teleport-roles" "the certificate names the roles"
python3 - "$cert_text" <<'PY' || fail "sam's certificate outlives the role's max_session_ttl: $cert_text"
import re, sys
from datetime import datetime
m = re.search(r"Valid: from (\S+) to (\S+)", sys.argv[1])
a, b = (datetime.fromisoformat(x) for x in m.groups())
assert (b - a).total_seconds() <= 2 * 3600 + 60, (a, b)
PY
pass "tsh login: the certificate carries the role, its 2h cap and no agent forwarding"

# --- what sam sees and reaches --------------------------------------------------------
# ssh_as <key prefix> <ssh args...>: OpenSSH with that key and certificate only.
ssh_as() {
  local key="$1"; shift
  timeout 20 ssh -F /dev/null -i "$key" -o CertificateFile="$key-cert.pub" -o IdentitiesOnly=yes \
    -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$@"
}
# proxy_nodes <key prefix>: the proxy's node list (the tp-nodes subsystem) for that cert.
proxy_nodes() {
  ssh_as "$1" -p "$PROXY_SSH_PORT" "$LOGIN@127.0.0.1" -s tp-nodes </dev/null |
    python3 -c 'import json,sys; print(" ".join(sorted(n["hostname"] for n in json.load(sys.stdin))))'
}
both() { [ "$(proxy_nodes "$WORK/alice")" = "alpha beta" ]; }
wait_secs 20 both || fail "the admin does not see both nodes: $(proxy_nodes "$WORK/alice")"
[ "$(proxy_nodes "$KEYS/sam")" = "alpha" ] || fail "the proxy lists for sam: $(proxy_nodes "$KEYS/sam")"
ls_out="$(tsh ls)" || fail "tsh ls: $ls_out"
grep -q '^alpha ' <<<"$ls_out" || fail "tsh ls does not list alpha: $ls_out"
grep -q '^beta ' <<<"$ls_out" && fail "tsh ls lists beta, which sam's role hides: $ls_out"
pass "tsh ls and the proxy's node list show sam the staging node only; the admin sees both"

out="$(tsh ssh "$LOGIN@alpha" echo sam-on-alpha </dev/null 2>&1)" || fail "tsh ssh alpha: $out"
assert_contains "$out" "sam-on-alpha" "tsh ssh to the staging node"
out="$(tsh ssh "$LOGIN@beta" echo sam-on-beta </dev/null 2>&1)" && fail "tsh ssh beta worked for sam: $out"
assert_not_contains "$out" "sam-on-beta" "tsh ssh to the prod node"
# direct <key prefix> <port> <command>: OpenSSH straight to a node's port.
direct() {
  ssh_as "$1" -p "$2" "$LOGIN@127.0.0.1" "$3" </dev/null 2>&1
}
# jump <key prefix> <node name> <command>: OpenSSH through the proxy (ssh -J).
jump() {
  ssh_as "$1" -o "ProxyCommand=ssh -F /dev/null -i $1 -o CertificateFile=$1-cert.pub -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $PROXY_SSH_PORT -W %h:%p $LOGIN@127.0.0.1" \
    "$LOGIN@$2" "$3" </dev/null 2>&1
}
out="$(direct "$KEYS/sam" "$ALPHA_PORT" 'echo direct-alpha')" || fail "OpenSSH to alpha: $out"
assert_contains "$out" "direct-alpha" "OpenSSH straight to the staging node"
out="$(direct "$KEYS/sam" "$BETA_PORT" 'echo direct-beta')" && fail "OpenSSH to beta's port worked for sam: $out"
assert_not_contains "$out" "direct-beta" "OpenSSH straight to the prod node"
out="$(jump "$KEYS/sam" alpha 'echo jump-alpha')" || fail "ssh -J to alpha: $out"
assert_contains "$out" "jump-alpha" "OpenSSH through the proxy to the staging node"
out="$(jump "$KEYS/sam" beta 'echo jump-beta')" && fail "ssh -J to beta worked for sam: $out"
assert_not_contains "$out" "jump-beta" "OpenSSH through the proxy to the prod node"
out="$(direct "$WORK/alice" "$BETA_PORT" 'echo admin-beta')" || fail "the admin's OpenSSH to beta: $out"
assert_contains "$out" "admin-beta" "the admin role reaches every node"
LOGS="$WORK/data/log"
refused() { grep -h '"event":"auth"' "$LOGS"/*.log 2>/dev/null | grep '"user":"sam"' | grep -q 'no role of the user allows'; }
wait_secs 15 refused || fail "beta's refusal of sam is not in the audit log"
grep -q 'no role of the user allows the login' "$WORK/beta.log" || fail "beta does not log why it refused sam"
at_proxy() { grep -h "the user's roles do not allow node beta" "$LOGS"/*.log 2>/dev/null | grep -q '"user":"sam"'; }
wait_secs 15 at_proxy || fail "the proxy's refusal of sam's dial to beta is not in the audit log"
pass "beta refuses sam by tsh ssh, ssh -J and straight OpenSSH; alpha lets him in; the refusal is audited"

# --- an edited role applies from the next certificate ---------------------------------
cat >"$WORK/staging2.yaml" <<'YAML'
kind: role
version: v3
metadata:
  name: staging
spec:
  options:
    max_session_ttl: 2h
  allow:
    logins: ['{{internal.logins}}']
    node_labels:
      env: [staging, prod]
  deny:
    node_labels:
      env: staging
YAML
tctl create -f "$WORK/staging2.yaml" >/dev/null || fail "tctl create -f the edited role"
tctl auth sign --user=sam --out="$WORK/sam2" --ttl=1h >/dev/null || fail "tctl auth sign --user=sam"
out="$(direct "$WORK/sam2" "$BETA_PORT" 'echo sam2-beta')" || fail "the new certificate to beta: $out"
assert_contains "$out" "sam2-beta" "the edited role reaches prod"
out="$(direct "$WORK/sam2" "$ALPHA_PORT" 'echo sam2-alpha')" && fail "the deny on staging let sam in: $out"
out="$(direct "$KEYS/sam" "$BETA_PORT" 'echo old-beta')" && fail "the old certificate reached beta: $out"
[ "$(proxy_nodes "$WORK/sam2")" = "beta" ] || fail "the proxy lists for the new certificate: $(proxy_nodes "$WORK/sam2")"
pass "an edited role applies from the next certificate; its deny wins over its allow"

# --- a role that is gone: no certificate, an audited refusal --------------------------
tctl rm role/staging >/dev/null || fail "tctl rm role/staging"
out="$(tctl auth sign --user=sam --out="$WORK/sam3" 2>&1)" && fail "tctl auth sign worked without sam's role: $out"
assert_contains "$out" 'role "staging" of user "sam" is not found' "tctl auth sign without the role"
ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/probe"
SAM_OTP="$(fresh_otp "$SAM_SECRET" "$SAM_STEP")"
body="$(python3 -c 'import json, sys
print(json.dumps({"user": "sam", "password": sys.argv[1], "otp_token": sys.argv[2],
                  "pub_key": open(sys.argv[3]).read().strip(), "ttl": 0}))' "$SAM_PASS" "$SAM_OTP" "$WORK/probe.pub")"
code="$(curl -sk -o "$WORK/certs.json" -w '%{http_code}' -H 'Content-Type: application/json' --data "$body" \
  "$WEB/v1/webapi/ssh/certs")"
[ "$code" = 403 ] || fail "login without the role answered $code: $(cat "$WORK/certs.json")"
assert_contains "$(cat "$WORK/certs.json")" 'role \"staging\" of user \"sam\" is not found' "login without the role"
audited() {
  grep -h '"event":"user.login"' "$LOGS"/*.log 2>/dev/null | grep '"user":"sam"' | grep '"success":false' |
    grep -q 'is not found'
}
wait_secs 10 audited || fail "the refused login is not audited with its reason"
pass "without its role sam gets no certificate; the refused login is audited with the reason"
