#!/usr/bin/env bash
# Recording proxy mode (session_recording: proxy): one teleport with auth, proxy
# and node, and two plain OpenSSH sshd's -- one with a host certificate from
# `tctl auth sign --host --format=openssh` and one with a plain host key. Real
# OpenSSH clients go the manual's way: ForwardAgent on the connection to the
# proxy and ProxyCommand "ssh -p <proxy> -s proxy:%h:%p". The proxy ends the
# SSH, reaches the node with the forwarded agent, and records the session:
# events and recording land with auth as in node mode and `tsh play` shows
# them. proxy_checks_host_keys: yes refuses the plain-key sshd with the
# manual's message; no lets it through.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"
LOGIN="$(id -un)"
unset SSH_AUTH_SOCK SSH_AGENT_PID TELEPORT_PROXY TELEPORT_USER TELEPORT_HOME
export HOME="$WORK/home"
mkdir -p "$HOME"
AUTH_PORT="$(free_port)"; NODE_PORT="$(free_port)"; PROXY_PORT="$(free_port)"
WEB_PORT="$(free_port)"
TUNNEL_PORT="$(free_port)"
tctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/tp.yaml" "$@"; }
tsh() { timeout 60 "$TP_BIN/tsh" "$@"; }
WEB="https://127.0.0.1:$WEB_PORT"

write_config() {  # <proxy_checks_host_keys> [client_idle_timeout]
  cat >"$WORK/tp.yaml" <<YAML
teleport:
  nodename: pxnode
  data_dir: $WORK/data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: px.test
  listen_addr: 127.0.0.1:$AUTH_PORT
  session_recording: proxy
  proxy_checks_host_keys: $1
  client_idle_timeout: ${2:-never}
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$NODE_PORT
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$PROXY_PORT
  web_listen_addr: 127.0.0.1:$WEB_PORT
  tunnel_listen_addr: 127.0.0.1:$TUNNEL_PORT
YAML
}
write_config yes
start_bg "$WORK/tp.log" "$T" start -c "$WORK/tp.yaml"
TP_PID=$LAST_PID
wait_for 30 grep -q "proxy: ssh listening on" "$WORK/tp.log" || fail "teleport did not start"
wait_for 20 tctl status || fail "tctl status"
cluster_user alice "$LOGIN"
pass "auth, proxy and node are up with session_recording: proxy"

# joe signs up now (web API, TOTP): his tsh login at the end needs the next TOTP step.
JOE_PASS="joe-pass-$RANDOM$RANDOM"
web_signup "$WEB" joe "$LOGIN" "$JOE_PASS"
JOE_SECRET="$SIGNUP_SECRET" JOE_STEP="$SIGNUP_STEP"

# --- two OpenSSH servers trusting the cluster's user CA ---------------------------
tctl auth export --type=user | awk '$1 == "cert-authority" {print $2, $3}' >"$WORK/trusted_user_ca"
tctl auth sign --host=sshd.px.test,127.0.0.1,localhost --format=openssh --out="$WORK/certkey" >/dev/null ||
  fail "tctl auth sign --host"
ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/plainkey"
CERT_PORT="$(free_port)"; PLAIN_PORT="$(free_port)"
start_cluster_sshd sshd-cert "$CERT_PORT" "HostKey $WORK/certkey
HostCertificate $WORK/certkey-cert.pub"
start_cluster_sshd sshd-plain "$PLAIN_PORT" "HostKey $WORK/plainkey"
pass "sshd with a cluster host certificate and sshd with a plain host key are up"

# --- the client: alice's certificate in an agent, the manual's OpenSSH recipe -------
eval "$(ssh-agent -s)" >/dev/null
PIDS+=("$SSH_AGENT_PID")
ssh-add "$WORK/alice" >/dev/null 2>&1 || fail "ssh-add"
ssh-add -L | grep -q cert-v01 || fail "alice's certificate is not in the agent"
PROXY_PUB="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ssh_key"])' \
  "$WORK/data/identity/proxy.json" >"$WORK/proxykey" && chmod 600 "$WORK/proxykey" &&
  ssh-keygen -y -f "$WORK/proxykey")" || fail "cannot read the proxy's host key"
echo "[127.0.0.1]:$PROXY_PORT $PROXY_PUB" >"$WORK/kh_proxy"
# Through a recording proxy every node presents the proxy's key.
echo "tp-proxy $PROXY_PUB" >"$WORK/kh_inner"
# px_ssh <port> <forward agent to the proxy: yes|no> <-tt|-T> <command>
px_ssh() {
  local port="$1" fwd="$2" tty="$3"; shift 3
  local pc="ssh -F /dev/null -o ForwardAgent=$fwd -o BatchMode=yes -o StrictHostKeyChecking=yes"
  pc+=" -o UserKnownHostsFile=$WORK/kh_proxy -o GlobalKnownHostsFile=/dev/null"
  pc+=" -p $PROXY_PORT $LOGIN@127.0.0.1 -s proxy:%h:%p"
  timeout 30 ssh -F /dev/null -o ForwardAgent=yes -o BatchMode=yes -o ConnectTimeout=10 \
    -o "ProxyCommand=$pc" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WORK/kh_inner" \
    -o GlobalKnownHostsFile=/dev/null -o HostKeyAlias=tp-proxy -p "$port" "$tty" "$LOGIN@127.0.0.1" "$@"
}
LOGS="$WORK/data/log"
RECS="$LOGS/sessions/default"
# session_of <marker>: the sid of the session whose recording contains marker.
session_of() {
  local f
  f="$(grep -l "$1" "$RECS"/*.session.bytes 2>/dev/null | head -n 1)" || return 1
  [ -n "$f" ] || return 1
  basename "$f" .session.bytes
}

# --- an interactive session on the certified sshd, recorded at the proxy ---------
out="$(px_ssh "$CERT_PORT" yes -tt 'echo hello-$((6*7))-proxy' </dev/null 2>"$WORK/cert.err")" ||
  fail "session through the recording proxy failed: $(cat "$WORK/cert.err")"
assert_contains "$out" "hello-42-proxy" "output through the recording proxy"
wait_for 10 session_of hello-42-proxy || fail "the proxy stored no recording with the output"
SID="$(session_of hello-42-proxy)"
pass "an interactive session to an OpenSSH node through the recording proxy"

wait_for 10 grep -q "\"session.end\".*\"sid\":\"$SID\"\|\"sid\":\"$SID\".*\"session.end\"" "$LOGS"/*.log ||
  fail "no session.end for $SID"
PROXY_ID="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["host_id"])' \
  "$WORK/data/identity/proxy.json")"
python3 - "$LOGS" "$SID" "$LOGIN" "$PROXY_ID" "$CERT_PORT" <<'PY' || fail "session events of the recorded session"
import glob, json, sys
logs, sid, login, proxy_id, port = sys.argv[1:]
ev = {}
for f in sorted(glob.glob(logs + "/*.log")):
    for line in open(f):
        e = json.loads(line)
        if e.get("sid") == sid:
            ev.setdefault(e["event"], e)
for t in ("session.start", "session.end"):
    e = ev.get(t)
    assert e, "missing " + t
    assert e["user"] == "alice", e
    assert e["login"] == login, e
    assert e["server_id"] == proxy_id, e
    assert e["server_addr"] == "127.0.0.1:" + port, e
assert ev["session.start"].get("size"), ev["session.start"]
PY
python3 - "$RECS/$SID.session.log" "$RECS/$SID.session.bytes" <<'PY' || fail "print events do not reassemble the bytes"
import json, sys
data = open(sys.argv[2], "rb").read()
out = bytearray()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "print":
        assert e["offset"] == len(out), (e, len(out))
        out += data[e["offset"]:e["offset"] + e["bytes"]]
assert bytes(out) == data and data, "reassembly differs"
PY
out="$(tsh play --speed=8 "$RECS/$SID.session.log")" || fail "tsh play failed: $out"
assert_contains "$out" "hello-42-proxy" "tsh play of the proxy's recording"
pass "events (user, login, server_id, server_addr, size), print events and tsh play"

# --- exec without a terminal: exit code and the exec event --------------------------
set +e
px_ssh "$CERT_PORT" yes -T 'echo exec-out; exit 7' </dev/null >"$WORK/exec.out" 2>"$WORK/exec.err"
rc=$?
set -e
[ "$rc" = 7 ] || fail "exit code through the recording proxy: $rc ($(cat "$WORK/exec.err"))"
assert_contains "$(cat "$WORK/exec.out")" "exec-out" "exec output"
wait_for 10 grep -q '"event":"exec".*exit 7\|exit 7.*"event":"exec"' "$LOGS"/*.log ||
  fail "no exec event with the command"
pass "a command without a terminal: output, exit code 7, exec event"

# --- our own node, registered: its announced key is what the proxy accepts ---------
out="$(px_ssh "$NODE_PORT" yes -tt 'echo own-node-$((2+3))' </dev/null 2>"$WORK/own.err")" ||
  fail "session to the registered node through the recording proxy failed: $(cat "$WORK/own.err")"
assert_contains "$out" "own-node-5" "output from our node"
wait_for 10 session_of own-node-5 || fail "the proxy did not record the session on our node"
sleep 0.5
n="$(grep -l own-node-5 "$RECS"/*.session.bytes | wc -l)"
[ "$n" = 1 ] || fail "the session on our node was recorded $n times (the node must leave it to the proxy)"
pass "a registered node of ours through the recording proxy, recorded once"

# --- refusals ------------------------------------------------------------------------
set +e
px_ssh "$PLAIN_PORT" yes -tt 'echo must-not-run' </dev/null >"$WORK/plain.out" 2>"$WORK/plain.err"
rc=$?
set -e
[ "$rc" != 0 ] || fail "the recording proxy let a plain-key sshd through"
assert_contains "$(cat "$WORK/plain.err")" \
  "ssh: handshake failed: remote host presented a public key, expected a host certificate" \
  "refusal of the plain-key sshd"
assert_not_contains "$(cat "$WORK/plain.out")" "must-not-run" "plain-key sshd output"
pass "proxy_checks_host_keys: yes refuses a node with a plain host key, with the manual's message"

set +e
px_ssh "$CERT_PORT" no -tt 'echo no-agent' </dev/null >/dev/null 2>"$WORK/noagent.err"
rc=$?
set -e
[ "$rc" != 0 ] || fail "the recording proxy worked without the client's agent"
assert_contains "$(cat "$WORK/noagent.err")" "needs your agent" "refusal without agent forwarding"
pass "without agent forwarding to the proxy the session is refused with a reason"

# --- tsh: a registered node and an unregistered OpenSSH server ------------------------
JOE_OTP="$(fresh_otp "$JOE_SECRET" "$JOE_STEP")"
(unset SSH_AUTH_SOCK; tsh_login "127.0.0.1:$WEB_PORT" joe "$JOE_PASS" "$JOE_OTP")
# No agent of the user's: tsh gives the proxy a private one with only its key.
out="$(SSH_AUTH_SOCK= tsh ssh "$LOGIN@pxnode" 'echo tsh-node-$((4*4))' </dev/null 2>"$WORK/tsh1.err")" ||
  fail "tsh ssh to the registered node through the recording proxy: $(cat "$WORK/tsh1.err")"
assert_contains "$out" "tsh-node-16" "tsh ssh output"
# Without a terminal (stdin is not one) nothing is recorded, but the proxy logs the exec.
proxy_exec() { cat "$LOGS"/*.log | grep '"event":"exec"' | grep "$1" | grep -q '"server_addr"'; }
wait_for 10 proxy_exec tsh-node ||
  fail "no exec event from the recording proxy for tsh's command"
out="$(SSH_AUTH_SOCK= tsh ssh -p "$CERT_PORT" "$LOGIN@localhost" 'echo tsh-sshd-$((5*5))' </dev/null 2>"$WORK/tsh2.err")" ||
  fail "tsh ssh to an unregistered sshd through the recording proxy: $(cat "$WORK/tsh2.err")"
assert_contains "$out" "tsh-sshd-25" "tsh ssh output from the OpenSSH server"
wait_for 10 proxy_exec tsh-sshd ||
  fail "no exec event for tsh's command on the OpenSSH server"
pass "tsh ssh through the recording proxy: a registered node and an OpenSSH server by name"

# OpenSSH with the `tsh config` block: its ProxyCommand forwards the agent (which
# holds joe's tsh certificate) because the proxy records.
tsh config >"$WORK/ssh_config" 2>"$WORK/config.err" || fail "tsh config: $(cat "$WORK/config.err")"
grep -q "ForwardAgent=yes" "$WORK/ssh_config" || fail "tsh config does not forward the agent: $(cat "$WORK/ssh_config")"
joe_key="$(find "$HOME/.tsh/keys" -type f -name joe | head -n 1)"
[ -n "$joe_key" ] || fail "no tsh key for joe under $HOME/.tsh/keys"
ssh-add "$joe_key" >/dev/null 2>&1 || fail "ssh-add joe's tsh key"
out="$(timeout 30 ssh -F "$WORK/ssh_config" -o BatchMode=yes -tt "$LOGIN@pxnode.px.test" \
  'echo via-config-$((7*7))' </dev/null 2>"$WORK/config-ssh.err")" ||
  fail "OpenSSH with the tsh config block: $(cat "$WORK/config-ssh.err")"
assert_contains "$out" "via-config-49" "output through the tsh config block"
wait_for 10 session_of via-config-49 || fail "the session through the tsh config block was not recorded"
pass "OpenSSH with the tsh config block (ForwardAgent to the recording proxy), recorded"

# --- proxy_checks_host_keys: no -----------------------------------------------------
kill -TERM "$TP_PID"
wait_exit "$TP_PID" 20
write_config no 3s
start_bg "$WORK/tp2.log" "$T" start -c "$WORK/tp.yaml"
wait_for 30 grep -q "proxy: ssh listening on" "$WORK/tp2.log" || fail "teleport did not restart"
wait_for 20 tctl status || fail "tctl status after restart"
ok_plain() { px_ssh "$PLAIN_PORT" yes -tt 'echo plain-ok-$((3*3))' </dev/null 2>/dev/null | grep -q plain-ok-9; }
wait_for 20 ok_plain || fail "proxy_checks_host_keys: no did not let the plain-key sshd through"
wait_for 10 session_of plain-ok-9 || fail "the session to the plain-key sshd was not recorded"
pass "proxy_checks_host_keys: no lets the plain-key sshd through, recorded"

# --- client_idle_timeout: 3s -- an idle client is disconnected (client.disconnect) ------
start_s=$(date +%s)
set +e
px_ssh "$PLAIN_PORT" yes -T 'sleep 30' </dev/null >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 255 ] || fail "an idle session ended with $rc, expected a disconnect (255)"
[ $(($(date +%s) - start_s)) -lt 20 ] || fail "the idle session was not disconnected in time"
wait_for 10 grep -q '"client.disconnect"' "$LOGS"/*.log || fail "no client.disconnect event"
grep '"client.disconnect"' "$LOGS"/*.log | grep -q 'client is idle for 3s' ||
  fail "client.disconnect without the reason: $(grep client.disconnect "$LOGS"/*.log)"
pass "client_idle_timeout: an idle client is disconnected with a client.disconnect event"
