#!/usr/bin/env bash
# The node service as unmodified OpenSSH tools see it: one teleport with auth
# and node roles, a user certificate from `tctl auth sign` and the host CA from
# `tctl auth export`. Covers exec, exit codes and signals, separate stdout and
# stderr, stdin (small and 20 MiB), PTYs and window changes, scp (SFTP and
# legacy), local port forwarding, agent forwarding, refused credentials (with
# the reason in the node's log), static and command labels in `tctl nodes ls`,
# and a killed node dropping out of `tctl nodes ls`.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"
LOGIN="$(id -un)"
DEST="$LOGIN@127.0.0.1"
LOG="$WORK/teleport.log"
umask 077
# The daemon (and so every session) must not inherit an agent from whoever runs
# the test, or "no agent without -A" below would test the wrong thing.
unset SSH_AUTH_SOCK SSH_AGENT_PID
tctl() { "$TP_BIN/tctl" -c "$WORK/teleport.yaml" "$@"; }

# principals <cert>: one principal per line, as ssh-keygen -L lists them.
principals() {
  ssh-keygen -L -f "$1" | awk '/^ *Principals:/ {p = 1; next} /^ *Critical Options:/ {p = 0} p {print $1}'
}

# node_listed <name>: tctl nodes ls has a row for <name>.
node_listed() {
  local out
  out="$(tctl nodes ls 2>/dev/null)" || return 1
  awk -v n="$1" '$1 == n {found = 1} END {exit !found}' <<<"$out"
}

# node_gone <name>: tctl nodes ls works and has no row for <name>.
node_gone() {
  local out
  out="$(tctl nodes ls 2>/dev/null)" || return 1
  awk -v n="$1" '$1 == n {found = 1} END {exit found}' <<<"$out"
}

# counter_value: the value of luna's "counter" command label.
counter_value() {
  local out v
  out="$(tctl nodes ls 2>/dev/null)" || return 1
  v="$(awk '$1 == "luna" && match($0, /counter=[0-9]+/) {print substr($0, RSTART + 8, RLENGTH - 8); exit}' <<<"$out")"
  [ -n "$v" ] || return 1
  echo "$v"
}

# log_since <byte offset> <ERE>: the node log, from offset on, has a matching line.
log_since() {
  tail -c +"$(($1 + 1))" "$LOG" | grep -Eqi -- "$2"
}

# --- one teleport: auth + node --------------------------------------------------
AUTH_PORT="$(free_port)"
SSH_PORT="$(free_port)"
cat >"$WORK/teleport.yaml" <<YAML
teleport:
  nodename: luna
  data_dir: $WORK/data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: example.test
  listen_addr: 127.0.0.1:$AUTH_PORT
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$SSH_PORT
  labels:
    env: test
  commands:
  - name: counter
    command: ["/bin/sh", "-c", "date +%s%N"]
    period: 1s
proxy_service:
  enabled: no
YAML
start_bg "$LOG" "$T" start -c "$WORK/teleport.yaml"
TP_PID=$LAST_PID
wait_for 20 tctl status || fail "tctl status did not succeed within 20s"
wait_for 20 grep -q "ssh service listening on" "$LOG" || fail "no 'ssh service listening on' in the log within 20s"
kill -0 "$TP_PID" 2>/dev/null || fail "teleport exited"
pass "teleport with auth and node roles is up"

# --- tctl nodes ls: address, static and command labels --------------------------
wait_for 15 counter_value || fail "tctl nodes ls shows no counter label for luna: $(tctl nodes ls)"
row="$(tctl nodes ls | awk '$1 == "luna"')"
assert_contains "$row" "127.0.0.1:$SSH_PORT" "nodes ls Address of luna"
assert_contains "$row" "env=test" "nodes ls static label of luna"
first="$(counter_value)" || fail "counter label vanished"
sleep 2.5
changed=""
for _ in $(seq 1 12); do
  now="$(counter_value)" || fail "counter label vanished: $(tctl nodes ls)"
  if [ "$now" != "$first" ]; then changed=yes; break; fi
  sleep 1
done
[ -n "$changed" ] || fail "counter label stayed $first for ~14s (period 1s)"
pass "nodes ls lists luna with env=test and a refreshed counter label"

# --- users and credentials ------------------------------------------------------
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
    - $LOGIN
YAML
tctl create "$WORK/alice.yaml" >/dev/null || fail "tctl create alice"
tctl auth sign --user=alice --out="$WORK/alice" --ttl=1h >/dev/null || fail "tctl auth sign --user=alice"
for f in alice alice-cert.pub; do [ -s "$WORK/$f" ] || fail "$f not written"; done

tctl auth export --type=host >"$WORK/host_ca_line" || fail "tctl auth export --type=host"
awk '{print $3, $4}' "$WORK/host_ca_line" >"$WORK/host_ca.pub"
host_ca_fp="$(ssh-keygen -l -f "$WORK/host_ca.pub" | awk '{print $2}')" || fail "exported host CA is not a key"

# libssh cannot present host certificates (DESIGN.md section 7), so clients pin
# the node's host key from the cluster registry: the key its heartbeat
# announces, which is the key the host CA certified when the node joined.
tctl get nodes --format=json >"$WORK/nodes.json" || fail "tctl get nodes --format=json"
host_key="$(python3 -c '
import json, sys
for n in json.load(open(sys.argv[1])):
    if n["spec"].get("hostname") == "luna":
        print(n["spec"]["host_key"])
' "$WORK/nodes.json")" || fail "no host_key for luna in the registry: $(cat "$WORK/nodes.json")"
[ -n "$host_key" ] || fail "luna announced no host key"
echo "[127.0.0.1]:$SSH_PORT $host_key" >"$WORK/known_hosts"

SSH_COMMON=(-F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes
  -o ConnectTimeout=5 -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WORK/known_hosts"
  -o GlobalKnownHostsFile=/dev/null)
# node_ssh [ssh options...] <login@host> [command...]
node_ssh() { timeout 20 ssh "${SSH_COMMON[@]}" -p "$SSH_PORT" "$@"; }
# nssh: node_ssh as alice.
nssh() { node_ssh -i "$WORK/alice" "$@"; }

# --- the node's host key is the one the host CA certified ----------------------------
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ssh_cert"])' \
  "$WORK/data/identity/node.json" >"$WORK/luna-cert.pub" || fail "no host certificate in node.json"
luna_cert="$(ssh-keygen -L -f "$WORK/luna-cert.pub")" || fail "ssh-keygen cannot read the node's host cert"
assert_contains "$luna_cert" "host certificate" "node host cert type"
assert_contains "$luna_cert" "$host_ca_fp" "node host cert signed by the exported host CA"
cert_key_fp="$(ssh-keygen -l -f <(echo "$host_key") | awk '{print $2}')"
assert_contains "$luna_cert" "$cert_key_fp" "the announced host key is the certified one"
luna_principals="$(principals "$WORK/luna-cert.pub")"
for p in luna luna.example.test; do
  grep -qxF "$p" <<<"$luna_principals" || fail "node host cert lacks principal $p: $luna_principals"
done
: >"$WORK/empty_known_hosts"
# ssh keeps the first value of an option, so this one, given first, beats SSH_COMMON's.
if timeout 20 ssh -o UserKnownHostsFile="$WORK/empty_known_hosts" "${SSH_COMMON[@]}" -p "$SSH_PORT" \
  -i "$WORK/alice" "$DEST" true </dev/null 2>"$WORK/nokh.err"; then
  fail "ssh trusted the node without its pinned host key"
fi
assert_contains "$(cat "$WORK/nokh.err")" "Host key verification failed" "no host key in known_hosts"
pass "node presents the host key the cluster registry pins (certified for luna/luna.example.test)"

# --- 1. exec, identity, environment ----------------------------------------------
out="$(nssh "$DEST" id -un </dev/null 2>"$WORK/id.err")" || fail "ssh id -un failed: $(cat "$WORK/id.err")"
[ "$out" = "$LOGIN" ] || fail "id -un on the node printed '$out', expected $LOGIN"
# shellcheck disable=SC2016 # expanded by the node's shell
conn="$(nssh "$DEST" 'echo $SSH_CONNECTION' </dev/null)" || fail "ssh echo \$SSH_CONNECTION failed"
[ -n "$conn" ] || fail "SSH_CONNECTION is empty in the session"
[[ "$conn" =~ ^127\.0\.0\.1\ [0-9]+\ 127\.0\.0\.1\ $SSH_PORT$ ]] ||
  fail "SSH_CONNECTION is '$conn', expected '127.0.0.1 <port> 127.0.0.1 $SSH_PORT'"
pw_home="$(getent passwd "$LOGIN" | cut -d: -f6)"
pw_shell="$(getent passwd "$LOGIN" | cut -d: -f7)"
env_out="$(nssh "$DEST" printenv USER HOME SHELL </dev/null)" || fail "ssh printenv failed"
want_env="$(printf '%s\n%s\n%s' "$LOGIN" "$pw_home" "${pw_shell:-/bin/sh}")"
[ "$env_out" = "$want_env" ] || fail "printenv USER HOME SHELL gave '$env_out', expected '$want_env'"
pass "exec runs as $LOGIN with SSH_CONNECTION, USER, HOME and SHELL set"

# --- 2. exit codes and signals ------------------------------------------------------
rc=0; nssh "$DEST" 'exit 7' </dev/null 2>/dev/null || rc=$?
[ "$rc" = 7 ] || fail "'exit 7' on the node made ssh exit $rc"
rc=0; nssh "$DEST" 'kill -TERM $$' </dev/null 2>"$WORK/sig.err" || rc=$?
{ [ "$rc" = 255 ] || [ "$rc" = 143 ]; } ||
  fail "a command killed by SIGTERM made ssh exit $rc, expected 255 or 143: $(cat "$WORK/sig.err")"
pass "exit status and termination by signal reach the client"

# --- 3. stdout and stderr stay apart --------------------------------------------------
nssh "$DEST" 'echo out; echo err >&2' </dev/null >"$WORK/split.out" 2>"$WORK/split.err" ||
  fail "ssh echo out/err failed: $(cat "$WORK/split.err")"
[ "$(cat "$WORK/split.out")" = "out" ] || fail "stdout was '$(cat "$WORK/split.out")', expected 'out'"
grep -qx err "$WORK/split.err" || fail "stderr lacks 'err': $(cat "$WORK/split.err")"
if grep -q out "$WORK/split.err"; then fail "stdout leaked into stderr: $(cat "$WORK/split.err")"; fi
pass "stdout and stderr are separate streams"

# --- 4. stdin --------------------------------------------------------------------------
n="$(printf 'abc' | nssh "$DEST" 'cat | wc -c')" || fail "ssh with stdin failed"
[ "$(tr -d ' \t' <<<"$n")" = 3 ] || fail "the node read '$n' bytes of stdin, expected 3"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
want="$(sha256sum <"$WORK/big.bin" | cut -d' ' -f1)"
got="$(nssh "$DEST" cat <"$WORK/big.bin" 2>"$WORK/big.err" | sha256sum | cut -d' ' -f1)" ||
  fail "piping 20 MiB through cat on the node failed: $(cat "$WORK/big.err")"
[ "$got" = "$want" ] || fail "20 MiB through cat on the node: sha256 $got != $want"
pass "stdin reaches the command, EOF included; 20 MiB round-trip intact"

# --- 5. PTY ---------------------------------------------------------------------------
out="$(nssh -tt "$DEST" tty </dev/null 2>/dev/null | tr -d '\r')" || fail "ssh -tt tty failed"
[[ "$out" =~ ^/dev/pts/[0-9]+$ ]] || fail "ssh -tt tty printed '$out', expected /dev/pts/N"
out="$(nssh "$DEST" 'tty || true' </dev/null)" || fail "ssh tty without a PTY failed"
assert_contains "$out" "not a tty" "exec without -t has no terminal"
pass "ssh -tt gets a PTY; plain exec does not"

# An interactive session in a detached tmux pane, so the client has a real
# terminal whose size we set and change.
TMUX_SOCK="$WORK/tmux.sock"
tmx() { tmux -S "$TMUX_SOCK" -f /dev/null "$@"; }
start_bg "$WORK/tmux.log" tmux -S "$TMUX_SOCK" -f /dev/null -D
wait_for 5 tmx set-option -g remain-on-exit on || fail "tmux server did not start"
# tmux runs the command through a shell: quote it. --foreground keeps ssh in the
# terminal's foreground process group so it may read it and set raw mode.
ssh_cmd="$(printf '%q ' timeout --foreground 20 ssh "${SSH_COMMON[@]}" -p "$SSH_PORT" -i "$WORK/alice" -tt "$DEST")"
tmx new-session -d -s node -x 120 -y 40 "$ssh_cmd" || fail "tmux new-session"
# pane_has <line>: the pane shows <line> on a line of its own.
pane_has() { tmx capture-pane -p -t node | tr -d '\r' | grep -qxF -- "$1"; }
pane() { tmx capture-pane -p -t node 2>&1 | grep -v '^$' || true; }
# The quotes keep the typed command from matching the marker it prints.
tmx send-keys -t node "echo 'tp-'ready" Enter
wait_for 15 pane_has tp-ready || fail "interactive session did not answer: $(pane)"
tmx send-keys -t node "stty size" Enter
wait_for 5 pane_has "40 120" || fail "stty size in a 120x40 terminal: $(pane)"
tmx resize-window -t node -x 100 -y 30 || fail "tmux resize-window"
sleep 0.5
tmx send-keys -t node "stty size" Enter
wait_for 5 pane_has "30 100" || fail "stty size after resizing to 100x30: $(pane)"
tmx kill-server 2>/dev/null || true
pass "interactive PTY session: initial size and window change"

# --- 6. scp: SFTP and legacy ------------------------------------------------------------
head -c $((5 * 1024 * 1024)) /dev/urandom >"$WORK/five.bin"
five_sum="$(sha256sum <"$WORK/five.bin" | cut -d' ' -f1)"
node_scp() { timeout 20 scp -q "${SSH_COMMON[@]}" -P "$SSH_PORT" -i "$WORK/alice" "$@"; }
for mode in -s -O; do
  tag="${mode#-}"
  node_scp "$mode" "$WORK/five.bin" "$DEST:$WORK/up-$tag.bin" 2>"$WORK/scp-up-$tag.err" ||
    fail "scp $mode upload failed: $(cat "$WORK/scp-up-$tag.err")"
  [ "$(sha256sum <"$WORK/up-$tag.bin" | cut -d' ' -f1)" = "$five_sum" ] || fail "scp $mode upload corrupted the file"
  node_scp "$mode" "$DEST:$WORK/five.bin" "$WORK/down-$tag.bin" 2>"$WORK/scp-down-$tag.err" ||
    fail "scp $mode download failed: $(cat "$WORK/scp-down-$tag.err")"
  [ "$(sha256sum <"$WORK/down-$tag.bin" | cut -d' ' -f1)" = "$five_sum" ] || fail "scp $mode download corrupted the file"
done
pass "scp upload and download of 5 MiB, SFTP (-s) and legacy (-O) protocols"

# --- 7. local port forwarding ----------------------------------------------------------
mkdir "$WORK/www"
echo "served-through-the-node-$RANDOM" >"$WORK/www/somefile"
HTTP_PORT="$(free_port)"
start_bg "$WORK/http.log" python3 -m http.server --bind 127.0.0.1 --directory "$WORK/www" "$HTTP_PORT"
wait_for 10 curl -sf --noproxy '*' --max-time 2 "http://127.0.0.1:$HTTP_PORT/somefile" ||
  fail "the test's HTTP server did not start"
FWD_PORT="$(free_port)"
start_bg "$WORK/forward.log" timeout 20 ssh "${SSH_COMMON[@]}" -p "$SSH_PORT" -i "$WORK/alice" \
  -o ExitOnForwardFailure=yes -n -N -L "127.0.0.1:$FWD_PORT:127.0.0.1:$HTTP_PORT" "$DEST"
FWD_PID=$LAST_PID
fetch() { curl -sf --noproxy '*' --max-time 5 "http://127.0.0.1:$FWD_PORT/somefile"; }
wait_for 10 fetch || fail "nothing answered on the forwarded port $FWD_PORT"
[ "$(fetch)" = "$(cat "$WORK/www/somefile")" ] || fail "the forwarded port served something else: $(fetch)"
kill -TERM "$FWD_PID" 2>/dev/null || true
wait_exit "$FWD_PID" 10
pass "ssh -L forwards through the node"

# --- 8. agent forwarding ------------------------------------------------------------------
start_bg "$WORK/agent.log" ssh-agent -D -a "$WORK/agent.sock"
wait_for 5 test -S "$WORK/agent.sock" || fail "ssh-agent did not create its socket"
SSH_AUTH_SOCK="$WORK/agent.sock" ssh-add "$WORK/alice" >"$WORK/ssh-add.out" 2>&1 ||
  fail "ssh-add: $(cat "$WORK/ssh-add.out")"
alice_fp="$(ssh-keygen -l -f "$WORK/alice.pub" | awk '{print $2}')"
# OpenSSH forwards only an agent it may also use: IdentityAgent=none (in
# SSH_COMMON) turns forwarding off, so this call names the agent first (ssh keeps
# the first value of an option); IdentitiesOnly still limits it to -i's key.
out="$(SSH_AUTH_SOCK="$WORK/agent.sock" timeout 20 ssh -o IdentityAgent="$WORK/agent.sock" -A \
  "${SSH_COMMON[@]}" -p "$SSH_PORT" -i "$WORK/alice" "$DEST" 'ssh-add -l' \
  </dev/null 2>"$WORK/agent-fwd.err")" ||
  fail "ssh-add -l with agent forwarding failed: $out $(cat "$WORK/agent-fwd.err")"
assert_contains "$out" "$alice_fp" "forwarded agent lists alice's key"
rc=0; nssh "$DEST" 'ssh-add -l' </dev/null >"$WORK/agent-none.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "ssh-add -l succeeded without agent forwarding: $(cat "$WORK/agent-none.out")"
pass "agent forwarding only when asked for"

# --- 9. refused credentials ------------------------------------------------------------------
# expect_refused <name> <log ERE> <identity> <login>: ssh is denied and, from the
# attempt on, the node log has a line matching the reason.
expect_refused() {
  local name="$1" pattern="$2" id="$3" login="$4" off
  off="$(stat -c %s "$LOG")"
  if node_ssh -i "$id" "$login@127.0.0.1" true </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err"; then
    fail "$name: ssh got in"
  fi
  assert_contains "$(cat "$WORK/$name.err")" "Permission denied" "$name: ssh's error"
  wait_for 5 log_since "$off" "$pattern" ||
    fail "$name: no line matching /$pattern/ logged since the attempt: $(tail -c +"$((off + 1))" "$LOG")"
  pass "refused: $name"
}

expect_refused wrong-login 'nobody-such-login.*(principal|no such user|unknown user|does not exist)|principal.*nobody-such-login' \
  "$WORK/alice" nobody-such-login
if getent passwd nobody >/dev/null; then
  # A login that exists on this host but is not in the certificate.
  expect_refused unlisted-login 'nobody.*principal|principal.*nobody' "$WORK/alice" nobody
fi

# Certificates the cluster's user CA signs with a chosen validity: the key comes
# from `tctl get --with-secrets` (tctl auth sign clamps TTLs to at least 1m).
tctl get cert_authority --with-secrets --format=json >"$WORK/cas.json" || fail "tctl get cert_authority --with-secrets"
python3 - "$WORK/cas.json" "$WORK/user_ca" <<'PY' || fail "no user CA signing key in tctl get cert_authority --with-secrets"
import json, os, sys
cas = json.load(open(sys.argv[1]))
keys = [c["spec"]["signing_keys"][0] for c in cas
        if c.get("spec", {}).get("type") == "user" and c["spec"].get("signing_keys")]
if len(keys) != 1:
    sys.exit("expected one user CA with a signing key, found %d" % len(keys))
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, (keys[0].rstrip("\n") + "\n").encode())
os.close(fd)
PY
for k in handmade expired; do ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/$k"; done
ssh-keygen -q -s "$WORK/user_ca" -I alice -n "$LOGIN" -V -5m:+1h "$WORK/handmade.pub" ||
  fail "ssh-keygen cannot sign with the user CA key"
ssh-keygen -q -s "$WORK/user_ca" -I alice -n "$LOGIN" -V -2h:-1h "$WORK/expired.pub" ||
  fail "ssh-keygen cannot sign the expired cert"
# Control: the same CA with a current validity gets in, so the refusal below is the expiry.
node_ssh -i "$WORK/handmade" "$DEST" true </dev/null 2>"$WORK/handmade.err" ||
  fail "a current cert from the user CA (signed by ssh-keygen) was refused: $(cat "$WORK/handmade.err")"
expect_refused expired-cert 'expired' "$WORK/expired" "$LOGIN"

ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/rogue_ca"
ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/rogue"
ssh-keygen -q -s "$WORK/rogue_ca" -I alice -n "$LOGIN" -V -5m:+1h "$WORK/rogue.pub"
expect_refused foreign-ca 'untrusted|unknown (certificate )?authorit|not trusted|unknown CA' "$WORK/rogue" "$LOGIN"

ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/plain"
expect_refused plain-key 'only certificates|not a certificate|plain .*key|no certificate' "$WORK/plain" "$LOGIN"

# --- 10. node presence: a second node joins, is killed, and expires ------------------------
add_out="$(tctl nodes add --ttl=5m)" || fail "tctl nodes add"
TOKEN="$(sed -n 's/^The invite token: *\([^ ]*\).*$/\1/p' <<<"$add_out")"
[ -n "$TOKEN" ] || fail "no invite token in: $add_out"
PIN="$(grep -o -- '--ca-pin=sha256:[0-9a-f]*' <<<"$add_out" | head -n 1 | cut -d= -f2)"
[ -n "$PIN" ] || fail "no --ca-pin in: $add_out"
cat >"$WORK/mars.yaml" <<YAML
teleport:
  nodename: mars
  data_dir: $WORK/mars
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
  listen_addr: 127.0.0.1:$(free_port)
YAML
start_bg "$WORK/mars.log" "$T" start -c "$WORK/mars.yaml" --token="$TOKEN" --ca-pin="$PIN"
MARS_PID=$LAST_PID
wait_for 20 node_listed mars || fail "tctl nodes ls does not list mars: $(tctl nodes ls)"
kill -KILL "$MARS_PID"
wait_exit "$MARS_PID" 5
killed_at=$SECONDS
# wait_for counts tries, and each try runs tctl: bound the wall clock separately.
wait_for 25 node_gone mars || fail "mars still listed long after it was killed: $(tctl nodes ls)"
gone_after=$((SECONDS - killed_at))
[ "$gone_after" -le 20 ] || fail "mars left tctl nodes ls only ${gone_after}s after it was killed (expected <= 20s)"
node_listed luna || fail "luna dropped out of tctl nodes ls while it runs: $(tctl nodes ls)"
pass "a killed node leaves tctl nodes ls after ${gone_after}s; a live one stays"

kill -0 "$TP_PID" 2>/dev/null || fail "teleport died during the test"

# --- audit events reached the auth service's log ---------------------------------
audit_has() {  # <python condition on event e> <what>
  python3 - "$WORK/data/log" "$1" <<'PY' || fail "audit log has no $2"
import glob, json, sys
cond = sys.argv[2]
for path in glob.glob(sys.argv[1] + "/*.log"):
    for line in open(path):
        e = json.loads(line)
        if eval(cond):
            sys.exit(0)
sys.exit(1)
PY
}
wait_for 10 test -n "$(ls "$WORK/data/log/"*.log 2>/dev/null)" || fail "no audit log file"
audit_has 'e["event"] == "exec" and e.get("command") == "id -un" and e["exitCode"] == "0" and e["user"] == "alice" and e.get("sid")' "exec of id -un by alice"
audit_has 'e["event"] == "exec" and e.get("command") == "exit 7" and e["exitCode"] == "7"' "exec exit code 7"
audit_has 'e["event"] == "session.start" and e.get("server_id") and e.get("sid")' "session.start"
audit_has 'e["event"] == "session.end" and e.get("session_start")' "session.end"
audit_has 'e["event"] == "resize" and e.get("size") == "100:30"' "resize to 100:30"
audit_has 'e["event"] == "auth" and e["success"] is False and "expired" in e.get("error", "")' "auth failure for the expired cert"
audit_has 'e["event"] == "port" and e.get("addr", "").startswith("127.0.0.1:")' "port forwarding"
audit_has 'e["event"] == "scp" and e.get("action") == "write" and e.get("path", "").endswith("/up-O.bin") and e.get("len") == 5 * 1024 * 1024' "scp upload with action, path and len"
audit_has 'e["event"] == "scp" and e.get("action") == "read" and e.get("path", "").endswith("/five.bin") and e.get("len") == 5 * 1024 * 1024' "scp download with action, path and len"
pass "audit log: session.start/end, exec with exit codes, resize, port, auth failures"
