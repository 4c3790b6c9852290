#!/usr/bin/env bash
# CA rotation across trusted clusters, modelled on Teleport's TestRotateTrustedClusters:
# "east" trusts "main". main rotates its host CA (manual phases) and its user CA
# (automatic, 30 s grace period) at once, then east rotates its host CA. Each side
# learns the other's new CA keys over the reverse tunnel's heartbeats, the tunnel and
# a session through it stay up through every phase, main's users reach east's nodes
# with certificates of the new user CA (and no longer with the old), and after a
# restart the tunnel is accepted in both directions on the new host CAs alone.
source "$(dirname "$0")/lib.sh"

T="$TP_BIN/teleport"
LOGIN="$(id -un)"
unset SSH_AUTH_SOCK SSH_AGENT_PID TELEPORT_PROXY TELEPORT_USER TELEPORT_HOME TELEPORT_CLUSTER
unset HTTPS_PROXY HTTP_PROXY https_proxy http_proxy NO_PROXY no_proxy
export HOME="$WORK/home"
mkdir -p "$HOME"
TOKEN="trust-token-$RANDOM$RANDOM"

M_AUTH="$(free_port)" M_NODE="$(free_port)" M_SSH="$(free_port)" M_WEB="$(free_port)" M_TUN="$(free_port)"
E_AUTH="$(free_port)" E_NODE="$(free_port)" E_SSH="$(free_port)" E_WEB="$(free_port)" E_TUN="$(free_port)"

write_cluster_config main mainnode "$M_AUTH" "$M_NODE" "$M_SSH" "$M_WEB" "$M_TUN" "  tokens:
  - trusted_cluster:$TOKEN"
write_cluster_config east db1 "$E_AUTH" "$E_NODE" "$E_SSH" "$E_WEB" "$E_TUN"
mtctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/main.yaml" "$@"; }
etctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/east.yaml" "$@"; }
tctl() { mtctl "$@"; }  # cluster_user signs main's users

start_east() {
  start_bg "$WORK/east$1.log" "$T" start -c "$WORK/east.yaml" --insecure
  EAST_PID=$LAST_PID
  wait_secs 30 grep -q "reverse tunnels on" "$WORK/east$1.log" || fail "east did not start"
  wait_secs 20 etctl status || fail "tctl status on east"
}
start_bg "$WORK/main.log" "$T" start -c "$WORK/main.yaml"
MAIN_PID=$LAST_PID
wait_secs 30 grep -q "reverse tunnels on" "$WORK/main.log" || fail "main did not start"
wait_secs 20 mtctl status || fail "tctl status on main"
start_east ""

cat >"$WORK/tc.yaml" <<YAML
kind: trusted_cluster
version: v2
metadata:
  name: main
spec:
  enabled: true
  token: $TOKEN
  tunnel_addr: 127.0.0.1:$M_TUN
  web_proxy_addr: 127.0.0.1:$M_WEB
YAML
etctl create "$WORK/tc.yaml" >/dev/null || fail "tctl create trusted_cluster"

# ca_keys <tctl> <cluster> <user|host>: a stored CA's checking keys, in order.
ca_keys() {
  "$1" get cert_authorities --format=json 2>/dev/null | python3 -c '
import json, sys
for ca in json.load(sys.stdin):
    s = ca["spec"]
    if (s.get("cluster_name") or ca["metadata"]["name"]) == sys.argv[1] and s["type"] == sys.argv[2]:
        for k in s.get("checking_keys", []):
            print(" ".join(k.split()[:2]))
' "$2" "$3"
}
# follows <tctl of the copy> <tctl of the owner> <cluster> <type> [count]: the copy of
# a cluster's CA equals the owner's (with `count` keys).
follows() {
  local own copy
  own="$(ca_keys "$2" "$3" "$4")" copy="$(ca_keys "$1" "$3" "$4")"
  [ -n "$own" ] && [ "$own" = "$copy" ] && { [ -z "${5:-}" ] || [ "$(grep -c . <<<"$own")" = "$5" ]; }
}
follows etctl mtctl main user 1 && follows etctl mtctl main host 1 && follows mtctl etctl east host 1 ||
  fail "the trust exchange did not store each side's CAs"

ssh_opts() {  # <key file>
  echo -F /dev/null -o IdentitiesOnly=yes -i "$1" -o CertificateFile="$1-cert.pub" \
    -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10
}
# via_main <key file>: a command on east's node through main's proxy and the tunnel.
via_main() {
  # shellcheck disable=SC2046
  timeout 20 ssh $(ssh_opts "$1") \
    -o "ProxyCommand=ssh $(ssh_opts "$1") -p $M_SSH %r@127.0.0.1 -s proxy:%h:%p@east" \
    -p "$E_NODE" "$LOGIN@db1" 'echo $((6*7))' </dev/null 2>"$WORK/ssh.err" | grep -qx 42
}
# at_east_node <key file>: straight to east's node (no proxy): its own user CA check.
at_east_node() {
  # shellcheck disable=SC2046
  timeout 20 ssh $(ssh_opts "$1") -p "$E_NODE" "$LOGIN@127.0.0.1" 'echo $((6*7))' \
    </dev/null 2>"$WORK/ssh.err" | grep -qx 42
}
tunnel_online() { mtctl get rc/east 2>/dev/null | grep -q "connection: online"; }
cluster_user joe "$LOGIN"
chmod 600 "$WORK/joe"
cp "$WORK/joe" "$WORK/joe-old" && cp "$WORK/joe-cert.pub" "$WORK/joe-old-cert.pub"
wait_secs 30 tunnel_online || fail "east's tunnel did not come up: $(tail -5 "$WORK/east.log")"
wait_secs 20 via_main "$WORK/joe" || fail "joe through the tunnel: $(cat "$WORK/ssh.err")"
pass "trust established; main's user reaches east's node through the tunnel"

# An interactive session through the tunnel that spans main's rotations.
mkfifo "$WORK/session.in"
exec 3<>"$WORK/session.in"
# shellcheck disable=SC2046
timeout 250 ssh -tt $(ssh_opts "$WORK/joe") \
  -o "ProxyCommand=ssh $(ssh_opts "$WORK/joe") -p $M_SSH %r@127.0.0.1 -s proxy:%h:%p@east" \
  -p "$E_NODE" "$LOGIN@db1" <"$WORK/session.in" >"$WORK/session.out" 2>&1 &
SESSION=$!
PIDS+=("$SESSION")
echo 'echo before-$((2*3))' >&3
wait_secs 20 grep -q "before-6" "$WORK/session.out" || fail "the session: $(cat "$WORK/session.out")"
TUNNELS_BEFORE="$(grep -c "tunnel: cluster east connected" "$WORK/main.log")"

# --- main rotates: its user CA automatically, its host CA by hand -------------------------
mtctl auth rotate --type=user --grace-period=30s >"$WORK/rotate.out" 2>&1 ||
  fail "rotate the user CA: $(cat "$WORK/rotate.out")"
USER_ROTATION_START=$SECONDS
rotate_host() {  # <phase> <expected key count at east>
  mtctl auth rotate --manual --type=host --phase="$1" >"$WORK/rotate.out" 2>&1 ||
    fail "rotate --phase=$1: $(cat "$WORK/rotate.out")"
  wait_secs 30 follows etctl mtctl main host "$2" ||
    fail "east did not follow main's host CA to $1: east has $(ca_keys etctl main host | wc -l) key(s); $(grep -i "announced\|rotates" "$WORK"/*.log | tail -3)"
  wait_secs 20 via_main "$WORK/joe" || fail "through the tunnel in $1: $(cat "$WORK/ssh.err")"
}
# renewed <log> <count>: the cluster's proxy and node renewed their certificates (a
# manual rotation must give them a heartbeat to do so before moving on).
renewed() { [ "$(grep -c "renewed its certificates" "$1")" -ge "$2" ]; }
rotate_host init 2
wait_secs 30 follows etctl mtctl main user 2 || fail "east did not learn main's new user CA in init"
pass "init: east trusts both of main's host CAs and both user CAs"
rotate_host update_clients 2
wait_secs 30 renewed "$WORK/main.log" 2 || fail "main's proxy and node did not renew: $(tail -5 "$WORK/main.log")"
rotate_host update_servers 2
rotate_host standby 1
grep -q "trusted cluster main rotates its host CA" "$WORK/east.log" || fail "east's auth does not log the change"
pass "main's host CA rotation: east followed every phase; sessions through the tunnel kept working"

user_done() { mtctl status | grep -q "^User CA  rotation.*standby, last rotated 2"; }
wait_secs 60 user_done || fail "main's user CA rotation did not finish: $(mtctl status)"
wait_secs 30 follows etctl mtctl main user 1 || fail "east did not drop main's old user CA"
[ $((SECONDS - USER_ROTATION_START)) -ge 30 ] || fail "the grace period was cut short"
cluster_user ann "$LOGIN"
chmod 600 "$WORK/ann"
wait_secs 20 at_east_node "$WORK/ann" || fail "east's node refuses the new user CA: $(cat "$WORK/ssh.err")"
via_main "$WORK/ann" || fail "a new-CA user through the tunnel: $(cat "$WORK/ssh.err")"
old_refused() { ! at_east_node "$WORK/joe-old"; }
wait_secs 20 old_refused || fail "east's node still accepts main's old user CA"
pass "main's user CA rotation: east's node accepts the new CA's users and refuses the old"

echo 'echo during-$((3*3))' >&3
wait_secs 20 grep -q "during-9" "$WORK/session.out" || fail "the session opened before: $(cat "$WORK/session.out")"
echo 'exit' >&3
wait_exit "$SESSION" 20
[ "$EXIT_CODE" = 0 ] || fail "the session ended with $EXIT_CODE: $(cat "$WORK/session.out")"
[ "$(grep -c "tunnel: cluster east connected" "$WORK/main.log")" = "$TUNNELS_BEFORE" ] ||
  fail "the tunnel was redialed during main's rotation"
pass "the session opened before main's rotations worked to its end; the tunnel was never redialed"

# --- east rotates its host CA ------------------------------------------------------------
rotate_east() {  # <phase> <expected key count at main>
  etctl auth rotate --manual --type=host --phase="$1" >"$WORK/rotate.out" 2>&1 ||
    fail "east rotate --phase=$1: $(cat "$WORK/rotate.out")"
  wait_secs 30 follows mtctl etctl east host "$2" ||
    fail "main did not follow east's host CA to $1: main has $(ca_keys mtctl east host | wc -l) key(s)"
  wait_secs 20 via_main "$WORK/ann" || fail "through the tunnel in east's $1: $(cat "$WORK/ssh.err")"
}
rotate_east init 2
rotate_east update_clients 2
wait_secs 30 renewed "$WORK/east.log" 2 || fail "east's proxy and node did not renew: $(tail -5 "$WORK/east.log")"
rotate_east update_servers 2
rotate_east standby 1
tunnel_online || fail "east's tunnel is offline after its rotation"
pass "east's host CA rotation: main followed every phase"

# East restarts: each side checks the other on the new host CAs alone.
kill -TERM "$EAST_PID"; wait_exit "$EAST_PID" 20
start_east 2
wait_secs 30 tunnel_online || fail "the tunnel after east restarted: $(tail -5 "$WORK/east2.log")"
wait_secs 20 via_main "$WORK/ann" || fail "through the new tunnel: $(cat "$WORK/ssh.err")"
grep -q "refused east" "$WORK/main.log" && fail "main refused east's renewed proxy"
pass "after a restart, the tunnel is accepted on both clusters' new host CAs alone"
