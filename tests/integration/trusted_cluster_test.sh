#!/usr/bin/env bash
# Trusted Clusters: "east" trusts "main" with a trusted_cluster resource; east's
# proxy keeps a reverse tunnel to main's proxy (through an HTTP CONNECT proxy), and
# main's users reach east's nodes through main's proxy with tsh and OpenSSH.
# Refusals (TLS, token, name, the other direction), disabling, faults.
source "$(dirname "$0")/lib.sh"

T="$TP_BIN/teleport"
LOGIN="$(id -un)"
unset SSH_AUTH_SOCK SSH_AGENT_PID TELEPORT_PROXY TELEPORT_USER TELEPORT_HOME TELEPORT_CLUSTER
unset HTTPS_PROXY HTTP_PROXY https_proxy http_proxy NO_PROXY no_proxy
export HOME="$WORK/home"
mkdir -p "$HOME"
TOKEN="trust-token-$RANDOM$RANDOM"

M_AUTH="$(free_port)" M_NODE="$(free_port)" M_SSH="$(free_port)" M_WEB="$(free_port)" M_TUN="$(free_port)"
M_DIAG="$(free_port)"
E_AUTH="$(free_port)" E_NODE="$(free_port)" E_SSH="$(free_port)" E_WEB="$(free_port)" E_TUN="$(free_port)"

write_cluster_config main mainnode "$M_AUTH" "$M_NODE" "$M_SSH" "$M_WEB" "$M_TUN" "  tokens:
  - trusted_cluster:$TOKEN"
write_cluster_config east db1 "$E_AUTH" "$E_NODE" "$E_SSH" "$E_WEB" "$E_TUN"
mtctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/main.yaml" "$@"; }
etctl() { timeout 70 "$TP_BIN/tctl" -c "$WORK/east.yaml" "$@"; }
tsh() { timeout 60 "$TP_BIN/tsh" "$@"; }
MAIN_WEB="https://127.0.0.1:$M_WEB"

start_main() {
  start_bg "$WORK/main.log" "$T" start -c "$WORK/main.yaml" --diag-addr="127.0.0.1:$M_DIAG"
  MAIN_PID=$LAST_PID
  wait_for 30 grep -q "reverse tunnels on" "$WORK/main.log" || fail "main did not start"
}
start_east() {  # [teleport start flags]: with the CONNECT proxy in its environment
  start_bg "$WORK/east.log" env HTTPS_PROXY="http://127.0.0.1:$CPROXY_PORT" NO_PROXY="localhost" \
    "$T" start -c "$WORK/east.yaml" "$@"
  EAST_PID=$LAST_PID
  wait_for 30 grep -q "reverse tunnels on" "$WORK/east.log" || fail "east did not start"
  wait_for 20 etctl status || fail "tctl status on east"
}

# --- a CONNECT proxy on loopback, and a malformed proxy setting -------------------
start_bg "$WORK/cproxy.log" python3 "$TP_SOURCE_DIR/tests/integration/connect_proxy.py" \
  "$WORK/connects.txt" "$WORK/cproxy.port"
wait_for 10 test -s "$WORK/cproxy.port" || fail "the CONNECT proxy did not start"
CPROXY_PORT="$(cat "$WORK/cproxy.port")"
touch "$WORK/connects.txt"
rc=0
out="$(HTTPS_PROXY="ftp://127.0.0.1:1" timeout 30 "$T" start -c "$WORK/east.yaml" 2>&1)" || rc=$?
[ "$rc" != 0 ] || fail "teleport started with a malformed HTTPS_PROXY"
assert_contains "$out" "HTTPS_PROXY" "the start error names the setting"
assert_contains "$out" "scheme must be http or https" "the start error says what is wrong"
pass "a malformed HTTPS_PROXY is refused at start"

start_main
wait_for 20 mtctl status || fail "tctl status on main"
start_east
pass "main and east are up"

# --- tokens: dynamic trusted_cluster tokens are listed with type and expiry ----------
out="$(mtctl tokens add --type=trusted_cluster --ttl=30m)" || fail "tctl tokens add: $out"
DYN_TOKEN="$(awk '/invite token:/ {print $NF}' <<<"$out")"
[ -n "$DYN_TOKEN" ] || fail "no token in: $out"
assert_contains "$(mtctl tokens ls)" "$DYN_TOKEN" "tctl tokens ls lists the dynamic token"
row="$(mtctl tokens ls | grep "$DYN_TOKEN")"
assert_contains "$row" "trusted_cluster" "the token's type"
assert_contains "$row" "UTC" "the token's expiry"
out="$(mtctl tokens add --type=bogus 2>&1)" && fail "tctl tokens add --type=bogus worked"
assert_contains "$out" "unknown token type" "a bad token type"
pass "tctl tokens add --type=trusted_cluster --ttl, listed by tctl tokens ls"

# trusted_cluster <name> <enabled> <token> [web port]: east's resource file.
trusted_cluster() {
  cat >"$WORK/tc.yaml" <<YAML
kind: trusted_cluster
version: v2
metadata:
  name: $1
spec:
  enabled: $2
  token: $3
  tunnel_addr: 127.0.0.1:$M_TUN
  web_proxy_addr: 127.0.0.1:${4:-$M_WEB}
YAML
  echo "$WORK/tc.yaml"
}
east_cas() { etctl get cert_authorities | grep -c "^kind: cert_authority"; }
main_cas() { mtctl get cert_authorities | grep -c "^kind: cert_authority"; }
[ "$(east_cas)" = 2 ] && [ "$(main_cas)" = 2 ] || fail "each cluster starts with its own two CAs"

# --- refusals: nothing is stored on either side -------------------------------------
ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/probe"
out="$(etctl create "$(trusted_cluster main true "$TOKEN")" 2>&1)" &&
  fail "east trusted a self-signed main without --insecure"
assert_contains "$out" "the trusted cluster uses misconfigured HTTP/TLS certificate" "self-signed main"
[ "$(east_cas)" = 2 ] && [ "$(main_cas)" = 2 ] || fail "a refused exchange stored CAs"
grep -q "CONNECT 127.0.0.1:$M_WEB" "$WORK/connects.txt" ||
  fail "the trust exchange did not go through the CONNECT proxy: $(cat "$WORK/connects.txt")"
pass "a self-signed main is refused with the reference's error (through the CONNECT proxy)"

kill -TERM "$EAST_PID"; wait_exit "$EAST_PID" 20
start_east --insecure
out="$(etctl create "$(trusted_cluster main true wrong-token)" 2>&1)" && fail "a wrong token worked"
assert_contains "$out" "refused the token" "wrong token"
out="$(etctl create "$(trusted_cluster notmain true "$TOKEN")" 2>&1)" && fail "a wrong name worked"
assert_contains "$out" "must equal its cluster_name" "wrong name"
out="$(etctl create "$(trusted_cluster main true "$TOKEN" "$(free_port)")" 2>&1)" &&
  fail "an unreachable web_proxy_addr worked"
assert_contains "$out" "cannot reach trusted cluster main" "unreachable main"
# The endpoint itself, with what a hostile client might post.
validate() { curl -sk -o "$WORK/validate.json" -w '%{http_code}' -H 'Content-Type: application/json' --data "$1" "$MAIN_WEB/webapi/trustedclusters/validate"; }
[ "$(validate 'not json')" = 400 ] || fail "garbage to /webapi/trustedclusters/validate: $(cat "$WORK/validate.json")"
[ "$(validate '{"token":"x","cluster_name":"evil","host_ca_keys":["ssh-ed25519 AAAA"]}')" = 400 ] ||
  fail "a junk CA key: $(cat "$WORK/validate.json")"
[ "$(validate "{\"token\":\"nope\",\"cluster_name\":\"evil\",\"host_ca_keys\":[\"$(cut -d' ' -f1,2 "$WORK/probe.pub")\"]}")" = 403 ] ||
  fail "a wrong token: $(cat "$WORK/validate.json")"
[ "$(east_cas)" = 2 ] && [ "$(main_cas)" = 2 ] || fail "a refused exchange stored CAs"
etctl get trusted_cluster 2>/dev/null | grep -q "^kind: trusted_cluster" && fail "a refused trust was stored"
pass "wrong token, wrong name and an unreachable main are clear errors; nothing stored"

# --- trust ----------------------------------------------------------------------------
etctl create "$(trusted_cluster main true "$DYN_TOKEN")" >/dev/null || fail "tctl create trusted_cluster"
assert_contains "$(etctl get cert_authorities)" "cluster_name: main" "east has main's CAs"
assert_contains "$(mtctl get cert_authorities)" "cluster_name: east" "main has east's host CA"
[ "$(east_cas)" = 4 ] && [ "$(main_cas)" = 3 ] || fail "expected 4 CAs on east, 3 on main"
tunnel_up() { grep -q "tunnel: cluster east connected" "$WORK/main.log"; }
wait_for 30 tunnel_up || fail "east's tunnel did not come up"
grep -q "CONNECT 127.0.0.1:$M_TUN" "$WORK/connects.txt" ||
  fail "the tunnel did not go through the CONNECT proxy: $(cat "$WORK/connects.txt")"
pass "trust established; east's proxy dials main's tunnel port through the CONNECT proxy"

# --- main's user: tsh clusters, ls, ssh, scp --------------------------------------------
tctl() { mtctl "$@"; }
JOE_PASS="joe-pass-$RANDOM$RANDOM"
web_signup "$MAIN_WEB" joe "$LOGIN" "$JOE_PASS"
JOE_OTP="$(fresh_otp "$SIGNUP_SECRET" "$SIGNUP_STEP")"
tsh_login "127.0.0.1:$M_WEB" joe "$JOE_PASS" "$JOE_OTP"
status_of() { tsh clusters 2>/dev/null | awk -v c="$1" '$1 == c {print $2}'; }
east_is() { [ "$(status_of east)" = "$1" ]; }
wait_for 30 east_is online || fail "tsh clusters: $(tsh clusters 2>&1)"
out="$(tsh clusters)"
assert_contains "$out" "Cluster Name" "tsh clusters header"
[ "$(status_of main)" = online ] || fail "main is not listed online: $out"
rc_is() { mtctl get rc/east 2>/dev/null | grep -q "connection: $1"; }
wait_for 20 rc_is online || fail "tctl get rc: $(mtctl get rc 2>&1)"
assert_contains "$(mtctl get remote_clusters)" "last_heartbeat: \"$(date -u +%Y-%m-%d)" "tctl get rc: last heartbeat"
tunnel_metric() { curl -sf "http://127.0.0.1:$M_DIAG/metrics" | grep -q "^teleport_reverse_tunnels{cluster=\"east\",state=\"$1\"} 1$"; }
wait_for 10 tunnel_metric online || fail "main's /metrics: $(curl -s "http://127.0.0.1:$M_DIAG/metrics" | grep tunnel)"
pass "tsh clusters: main online, east online; tctl get rc and main's /metrics show the tunnel"

out="$(tsh --cluster=east ls)" || fail "tsh --cluster=east ls: $out"
assert_contains "$out" "db1" "east's node"
assert_not_contains "$out" "mainnode" "main's node is not east's"
assert_contains "$(tsh ls)" "mainnode" "tsh ls without --cluster is main"
# East's nodes accept main's users from their first heartbeat after the trust (5 s).
east_ssh() { tsh --cluster=east ssh "$LOGIN@db1.east" 'echo east-$((6*7))' </dev/null 2>&1 | grep -q east-42; }
wait_for 15 east_ssh ||
  fail "tsh --cluster=east ssh: $(tsh --cluster=east ssh "$LOGIN@db1.east" true </dev/null 2>&1)"
echo "payload-$RANDOM" >"$WORK/up.txt"
tsh --cluster=east scp "$WORK/up.txt" "$LOGIN@db1:$WORK/landed.txt" >/dev/null 2>"$WORK/scp.err" ||
  fail "tsh --cluster=east scp: $(cat "$WORK/scp.err")"
cmp -s "$WORK/up.txt" "$WORK/landed.txt" || fail "scp through the tunnel changed the file"
pass "tsh --cluster=east ls / ssh / scp through main's proxy and the tunnel"

# --- OpenSSH as in the reference ---------------------------------------------------------
KEY="$(ls "$HOME"/.tsh/keys/*/joe 2>/dev/null | head -n 1)"
[ -n "$KEY" ] || fail "no tsh key for joe"
ID_OPTS="-F /dev/null -o IdentitiesOnly=yes -i $KEY -o CertificateFile=$KEY-cert.pub -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
# shellcheck disable=SC2086
openssh() { timeout 30 ssh $ID_OPTS -o "ProxyCommand=ssh $ID_OPTS -p $M_SSH %r@127.0.0.1 -s proxy:%h:%p@east" "$@"; }
out="$(openssh -p "$E_NODE" "$LOGIN@db1" 'echo openssh-$((5*5))' </dev/null 2>&1)" ||
  fail "OpenSSH through the tunnel: $out"
assert_contains "$out" "openssh-25" "OpenSSH ProxyCommand with proxy:%h:%p@east"
pass "OpenSSH with ProxyCommand ... -s proxy:%h:%p@east"

# --- audit on east: main's user, east's cluster name; playback through the tunnel ---------
REC_TAG="recorded-in-east-$RANDOM"
openssh -tt -p "$E_NODE" "$LOGIN@db1" "echo $REC_TAG" </dev/null >"$WORK/rec.out" 2>&1 ||
  fail "interactive session through the tunnel: $(cat "$WORK/rec.out")"
east_event() {
  grep -h '"event":"session.start"' "$WORK"/east-data/log/*.log 2>/dev/null | grep '"user":"joe"' |
    grep -q '"cluster_name":"east"'
}
wait_for 20 east_event || fail "east's audit log has no session.start of joe with cluster_name east"
recorded_sid() {
  local sid
  for sid in $(tsh --cluster=east recordings ls | awk '$2 == "joe" {print $1}' | tac); do
    if tsh --cluster=east play --format=json "$sid" | grep -q "$REC_TAG"; then echo "$sid"; return 0; fi
  done
  return 1
}
wait_for 20 recorded_sid || fail "no recording of east shows $REC_TAG: $(tsh --cluster=east recordings ls 2>&1)"
[ -z "$(tsh recordings ls | awk -v s="$(recorded_sid)" '$1 == s')" ] || fail "main lists east's recording as its own"
pass "sessions into east are audited on east (user joe, cluster_name east) and play back through main"

# --- one way only ----------------------------------------------------------------------
tctl() { etctl "$@"; }
cluster_user eve "$LOGIN"
eve_ssh() {
  ssh -F /dev/null -o IdentitiesOnly=yes -i "$WORK/eve" -o CertificateFile="$WORK/eve-cert.pub" -o BatchMode=yes \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 "$@" </dev/null 2>&1
}
out="$(eve_ssh -p "$E_SSH" "$LOGIN@127.0.0.1" -s "proxy:mainnode:$M_NODE@main")" && fail "east's user reached main: $out"
assert_contains "$out" "not a trusted cluster" "east's proxy does not route to main"
out="$(eve_ssh -p "$M_SSH" "$LOGIN@127.0.0.1" -s "proxy:mainnode:$M_NODE")" && fail "main's proxy let east's user in: $out"
out="$(eve_ssh -p "$M_NODE" "$LOGIN@127.0.0.1" true)" && fail "main's node let east's user in: $out"
pass "one way: east's users reach neither main's proxy routes nor main's nodes"

# --- faults: east killed, main restarted ---------------------------------------------------
kill -KILL "$EAST_PID"; wait_exit "$EAST_PID" 10
wait_for 30 east_is offline || fail "east not offline 30 s after kill -9: $(tsh clusters 2>&1)"
wait_for 20 rc_is offline || fail "tctl get rc after kill -9: $(mtctl get rc 2>&1)"
tunnel_metric offline || fail "main's /metrics does not show east offline"
out="$(tsh --cluster=east ssh "$LOGIN@db1" true </dev/null 2>&1)" && fail "ssh to an offline cluster worked"
assert_contains "$out" "cluster east is offline" "ssh to an offline cluster"
start_east --insecure
wait_for 40 east_is online || fail "east did not come back online by itself: $(tsh clusters 2>&1)"
pass "kill -9 east: offline within 30 s with a clear error, online again after its restart"

kill -TERM "$MAIN_PID"; wait_exit "$MAIN_PID" 20
start_main
wait_for 60 east_is online || fail "east did not reconnect to the restarted main: $(tsh clusters 2>&1)"
out="$(tsh --cluster=east ssh "$LOGIN@db1" 'echo again' </dev/null 2>&1)" || fail "ssh after main's restart: $out"
assert_contains "$out" "again" "ssh after main's restart"
pass "main restarted: east reconnected by itself"

# --- disabling, enabling and removing trust ------------------------------------------------
etctl create --force "$(trusted_cluster main false "$DYN_TOKEN")" >/dev/null || fail "disable trust"
wait_for 20 east_is offline || fail "east still online after disabling: $(tsh clusters 2>&1)"
[ "$(east_cas)" = 2 ] || fail "disabled trust kept main's CAs on east"
etctl create --force "$(trusted_cluster main true "$DYN_TOKEN")" >/dev/null || fail "enable trust again"
wait_for 40 east_is online || fail "east not online after enabling: $(tsh clusters 2>&1)"
etctl rm cluster/main >/dev/null || fail "tctl rm cluster/main"
[ "$(east_cas)" = 2 ] || fail "tctl rm cluster/main kept main's CAs"
wait_for 20 east_is offline || fail "east still online after tctl rm: $(tsh clusters 2>&1)"
# TestTrustedClusters: the resource deleted and created again.
etctl create "$(trusted_cluster main true "$DYN_TOKEN")" >/dev/null || fail "trust again after tctl rm"
wait_for 40 east_is online || fail "east not online after recreating trust: $(tsh clusters 2>&1)"
# East's nodes take main's user CA back with their next heartbeat (every 5 s).
recreated() { tsh --cluster=east ssh "$LOGIN@db1" 'echo recreated' </dev/null 2>&1 | grep -q recreated; }
wait_for 15 recreated ||
  fail "ssh after recreating trust: $(tsh --cluster=east ssh "$LOGIN@db1" true </dev/null 2>&1)"
pass "enabled: false tears the tunnel down, enabling restores it, tctl rm removes trust and CAs, creating it again works"

# --- main forgets the leaf: tctl rm rc/east refuses its tunnel ---------------------------
mtctl rm rc/east >/dev/null || fail "tctl rm rc/east"
east_gone() { tsh clusters >/dev/null 2>&1 && [ -z "$(status_of east)" ]; }
wait_for 20 east_gone || fail "east still listed after tctl rm rc/east: $(tsh clusters 2>&1)"
out="$(mtctl get rc 2>&1)"
assert_not_contains "$out" "name: east" "tctl get rc after tctl rm rc/east"
grep -q "tunnel: refused east" "$WORK/main.log" || wait_for 20 grep -q "tunnel: refused east" "$WORK/main.log" ||
  fail "main did not refuse east's tunnel after tctl rm rc/east"
pass "tctl rm rc/east on main removes the leaf and refuses its tunnel"
