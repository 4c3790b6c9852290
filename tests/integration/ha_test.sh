#!/usr/bin/env bash
# High availability, modelled on Teleport's TestHA: two auth servers on one shared
# backend -- etcd (tests/tools/tp_etcd), or DynamoDB (dynalite, tests/tools/dynalite)
# when HA_BACKEND=dynamodb (ha_dynamodb_test.sh) -- two proxies behind haproxy (TCP,
# health-checked on /webapi/ping), three nodes. Login lockout, OTP replay and join
# tokens hold across the auth servers; after kill -9 of one auth and one proxy,
# `tsh login`, `tsh ls`, `tsh ssh`, `tctl nodes ls` and joining keep working;
# restarted, both rejoin.
source "$(dirname "$0")/lib.sh"

T="$TP_BIN/teleport"
LOGIN="$(id -un)"
HA_BACKEND="${HA_BACKEND:-etcd}"
unset SSH_AUTH_SOCK SSH_AGENT_PID TELEPORT_PROXY TELEPORT_USER TELEPORT_HOME
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export HOME="$WORK/home"
mkdir -p "$HOME"
command -v haproxy >/dev/null || fail "haproxy is not installed (scripts/setup installs it)"

if [ "$HA_BACKEND" = dynamodb ]; then
  DYN="${TP_SOURCE_DIR:?}/tests/tools/dynalite"
  [ -d "$DYN/node_modules/dynalite" ] || fail "dynalite is not installed (scripts/setup runs npm ci in $DYN)"
  start_bg "$WORK/dynalite.log" node "$DYN/server.js" "$WORK/dynalite.state" AKIDHATEST:ha-test-secret
  wait_secs 30 test -s "$WORK/dynalite.state" || fail "dynalite did not start: $(tail -5 "$WORK/dynalite.log")"
  storage_yaml() {
    cat <<YAML
  storage:
    type: dynamodb
    region: us-east-1
    table_name: teleport.ha-test
    endpoint: $(sed -n 's/^url=//p' "$WORK/dynalite.state")
    access_key: AKIDHATEST
    secret_key: ha-test-secret
YAML
  }
else
  start_bg "$WORK/etcd.log" "$TP_BIN/tp_etcd" "$WORK/etcd.state"
  wait_secs 30 test -s "$WORK/etcd.state" || fail "etcd did not start: $(tail -5 "$WORK/etcd.log")"
  storage_yaml() { etcd_storage_yaml "$WORK/etcd.state" /teleport-ha; }
fi

A_AUTH="$(free_port)" B_AUTH="$(free_port)"
LB_WEB="$(free_port)" LB_SSH="$(free_port)" LB_STATS="$(free_port)"
teleport_header() {  # <name>
  cat <<YAML
teleport:
  nodename: $1
  data_dir: $WORK/$1-data
  log:
    output: stderr
    severity: INFO
YAML
}
# auth_config <name> <port>: an auth server on the shared etcd.
auth_config() {
  { teleport_header "$1"; storage_yaml; cat <<YAML; } >"$WORK/$1.yaml"
auth_service:
  enabled: yes
  cluster_name: ha
  listen_addr: 127.0.0.1:$2
  tokens:
  - node,proxy:ha-static-token
ssh_service:
  enabled: no
proxy_service:
  enabled: no
YAML
}
# host_config <name> <auth servers yaml list> <token> <services yaml>
host_config() {
  { teleport_header "$1"; cat <<YAML; } >"$WORK/$1.yaml"
  auth_token: $3
  auth_servers: $2
auth_service:
  enabled: no
$4
YAML
}
proxy_services() {  # <ssh> <web> <tunnel>
  cat <<YAML
ssh_service:
  enabled: no
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$1
  web_listen_addr: 127.0.0.1:$2
  tunnel_listen_addr: 127.0.0.1:$3
  public_addr: 127.0.0.1:$LB_WEB
  ssh_public_addr: 127.0.0.1:$LB_SSH
YAML
}
node_services() {  # <port> <env label>
  cat <<YAML
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$1
  labels:
    env: $2
proxy_service:
  enabled: no
YAML
}
auth_config a "$A_AUTH"
auth_config b "$B_AUTH"
P1_SSH="$(free_port)" P1_WEB="$(free_port)" P2_SSH="$(free_port)" P2_WEB="$(free_port)"
# p1 asks a first, p2 asks b first: logins through them reach different auth servers.
host_config p1 "[127.0.0.1:$A_AUTH, 127.0.0.1:$B_AUTH]" ha-static-token "$(proxy_services "$P1_SSH" "$P1_WEB" "$(free_port)")"
host_config p2 "[127.0.0.1:$B_AUTH, 127.0.0.1:$A_AUTH]" ha-static-token "$(proxy_services "$P2_SSH" "$P2_WEB" "$(free_port)")"
N1="$(free_port)" N2="$(free_port)" N3="$(free_port)" N4="$(free_port)"
# n1 knows only a and must learn b from it; n2 knows only b.
host_config n1 "[127.0.0.1:$A_AUTH]" ha-static-token "$(node_services "$N1" one)"
host_config n2 "[127.0.0.1:$B_AUTH]" ha-static-token "$(node_services "$N2" two)"
host_config n3 "[127.0.0.1:$A_AUTH, 127.0.0.1:$B_AUTH]" ha-static-token "$(node_services "$N3" three)"
atctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/a.yaml" "$@"; }
btctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/b.yaml" "$@"; }
tctl() { btctl "$@"; }
tsh() { timeout 30 "$TP_BIN/tsh" "$@"; }
tsh_piped() {
  local input="$1"; shift
  printf '%s' "$input" | timeout 30 setsid -w "$TP_BIN/tsh" "$@"
}

# start <name>: starts teleport with $WORK/<name>.yaml; its PID in <NAME>_PID.
start() {
  LAST_LOG="$WORK/$1-$SECONDS.log"
  start_bg "$LAST_LOG" "$T" start -c "$WORK/$1.yaml"
  printf -v "${1^^}_PID" '%s' "$LAST_PID"
}
if [ "$HA_BACKEND" = dynamodb ]; then
  sed "s|secret_key: ha-test-secret|secret_key: not-the-secret|; s|$WORK/a-data|$WORK/bad-data|" "$WORK/a.yaml" >"$WORK/bad.yaml"
  rc=0; out="$(timeout 60 "$T" start -c "$WORK/bad.yaml" 2>&1)" || rc=$?
  [ "$rc" != 0 ] || fail "teleport started with a wrong DynamoDB secret key"
  assert_contains "$out" "refused the request signature" "a wrong DynamoDB secret key"
  pass "a wrong DynamoDB secret key stops teleport start with a clear error"
fi
start a; A_LOG=$LAST_LOG
start b
wait_secs 30 atctl status || fail "a did not start: $(tail -5 "$A_LOG")"
wait_secs 30 btctl status || fail "b did not start"
for h in p1 p2 n1 n2 n3; do start "$h"; done
listed() {  # <tctl fn> <count>
  [ "$("$1" nodes ls | awk '$1 ~ /^n[0-9]$/' | wc -l)" = "$2" ]
}
wait_secs 40 listed btctl 3 || fail "the nodes did not all join: $(btctl nodes ls 2>&1)"
listed atctl 3 || fail "a does not list the nodes b lists: $(atctl nodes ls 2>&1)"

cat >"$WORK/haproxy.cfg" <<CFG
global
  maxconn 2000
defaults
  mode tcp
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  option redispatch
  retries 3
frontend web
  bind 127.0.0.1:$LB_WEB
  default_backend proxies_web
frontend ssh
  bind 127.0.0.1:$LB_SSH
  default_backend proxies_ssh
backend proxies_web
  option httpchk GET /webapi/ping
  http-check expect status 200
  server p1 127.0.0.1:$P1_WEB check check-ssl verify none inter 500 fall 2 rise 2
  server p2 127.0.0.1:$P2_WEB check check-ssl verify none inter 500 fall 2 rise 2
backend proxies_ssh
  option httpchk GET /webapi/ping
  http-check expect status 200
  server p1 127.0.0.1:$P1_SSH check port $P1_WEB check-ssl verify none inter 500 fall 2 rise 2
  server p2 127.0.0.1:$P2_SSH check port $P2_WEB check-ssl verify none inter 500 fall 2 rise 2
listen stats
  mode http
  bind 127.0.0.1:$LB_STATS
  stats enable
  stats uri /stats
CFG
haproxy -c -q -f "$WORK/haproxy.cfg" || fail "haproxy refuses the configuration"
start_bg "$WORK/haproxy.log" haproxy -db -f "$WORK/haproxy.cfg"
HAPROXY_PID=$LAST_PID
# up <backend> <server>: haproxy's health check passes for it.
up() { curl -s "http://127.0.0.1:$LB_STATS/stats;csv" | awk -F, -v b="$1" -v s="$2" '$1 == b && $2 == s && $18 ~ /^UP/ {f = 1} END {exit !f}'; }
for s in p1 p2; do
  wait_secs 30 up proxies_web $s || fail "haproxy does not see $s up: $(curl -s "http://127.0.0.1:$LB_STATS/stats;csv")"
  wait_secs 10 up proxies_ssh $s || fail "haproxy does not see $s's SSH port up"
done
pass "2 auth servers on $HA_BACKEND, 2 proxies behind haproxy (health check /webapi/ping), 3 nodes"

# --- users: lockout and OTP replay are shared by the auth servers ---------------------
web_signup "https://127.0.0.1:$LB_WEB" joe "$LOGIN" joe-password-1
JOE_SECRET=$SIGNUP_SECRET JOE_STEP=$SIGNUP_STEP
web_signup "https://127.0.0.1:$LB_WEB" mallory "$LOGIN" mallory-password-1
MAL_SECRET=$SIGNUP_SECRET MAL_STEP=$SIGNUP_STEP
# login_via <web port> <user> <password> <otp>
login_via() {
  tsh_piped "$3"$'\n'"$4"$'\n' login --proxy="127.0.0.1:$1" --user="$2" --insecure
}
# Three failures through p1 (auth a), two through p2 (auth b): mallory is locked on both.
for port in "$P1_WEB" "$P1_WEB" "$P1_WEB" "$P2_WEB" "$P2_WEB"; do
  out="$(login_via "$port" mallory wrong-password 000000 2>&1)" && fail "a wrong password logged in: $out"
done
code="$(oathtool --totp -b "$MAL_SECRET")"  # right or a replay: the lock is checked first
for port in "$P1_WEB" "$P2_WEB"; do
  out="$(login_via "$port" mallory mallory-password-1 "$code" 2>&1)" && fail "locked mallory logged in through $port"
  assert_contains "$out" "too many failed attempts" "mallory after 5 failures on two auth servers"
done
grep -rq "locked after too many failed attempts" "$WORK"/a-data/log "$WORK"/b-data/log ||
  fail "the refused login of locked mallory is not audited"
pass "login lockout counts failures on both auth servers and holds on both"

code="$(fresh_otp "$JOE_SECRET" "$JOE_STEP")"
JOE_STEP=$(($(date +%s) / 30))
login_via "$P1_WEB" joe joe-password-1 "$code" >"$WORK/login1.out" 2>&1 || fail "joe's login through p1: $(cat "$WORK/login1.out")"
rm -rf "$HOME/.tsh"
out="$(login_via "$P2_WEB" joe joe-password-1 "$code" 2>&1)" && fail "the code joe used on auth a worked again on auth b: $out"
assert_contains "$out" "invalid user name, password or second factor" "a replayed OTP code"
pass "a TOTP code used through one auth server is refused as a replay by the other"

# --- through the load balancer ----------------------------------------------------------
lb_login() {
  local code
  code="$(fresh_otp "$JOE_SECRET" "$JOE_STEP")"
  JOE_STEP=$(($(date +%s) / 30))
  login_via "$LB_WEB" joe joe-password-1 "$code" >"$WORK/lb-login.out" 2>&1
}
lb_login || fail "tsh login through haproxy: $(cat "$WORK/lb-login.out")"
# Both proxies' SSH host keys are pinned for the balancer's one address.
[ "$(grep -c "^\[127.0.0.1\]:$LB_SSH .* tsh/proxy/" "$HOME/.tsh/known_hosts")" = 2 ] ||
  fail "tsh did not pin both proxies' host keys: $(cat "$HOME/.tsh/known_hosts")"
# ls_ok <node names>: `tsh ls` lists exactly these; four tries, so that haproxy's round
# robin sends some through each proxy.
ls_ok() {
  local out i
  for i in 1 2 3 4; do
    out="$(tsh ls 2>"$WORK/tsh-ls.err")" || { echo "try $i: $(cat "$WORK/tsh-ls.err")"; return 1; }
    [ "$(awk '$1 ~ /^n[0-9]$/ {print $1}' <<<"$out" | sort | tr '\n' ' ')" = "$1" ] ||
      { echo "try $i listed: $out"; return 1; }
  done
}
out="$(ls_ok "n1 n2 n3 ")" || fail "tsh ls through haproxy: $out"
on_all() {
  for n in n1 n2 n3; do
    out="$(tsh ssh "$LOGIN@$n" 'echo $((6*7))' </dev/null 2>"$WORK/tsh-ssh.err")" || return 1
    [ "$out" = 42 ] || return 1
  done
}
on_all || fail "tsh ssh through haproxy: $(cat "$WORK/tsh-ssh.err")"
pass "tsh login, tsh ls and tsh ssh to every node through haproxy"

# --- join tokens are the cluster's, not one auth server's --------------------------------
token="$(atctl nodes add --roles=node --ttl=10m | awk '/invite token/ {print $NF}')"
[ -n "$token" ] || fail "tctl nodes add on a printed no token"
btctl tokens ls | grep -q "$token" || fail "b does not list the token created on a: $(btctl tokens ls 2>&1)"
btctl tokens del "$token" >/dev/null || fail "b cannot delete the token created on a"
atctl tokens ls | grep -q "$token" && fail "a still lists the token deleted on b"
host_config n9 "[127.0.0.1:$A_AUTH]" "$token" "$(node_services "$(free_port)" nine)"
rc=0; out="$(timeout 30 "$T" start -c "$WORK/n9.yaml" 2>&1)" || rc=$?
[ "$rc" != 0 ] || fail "a node joined a with a token deleted on b"
assert_contains "$out" "invalid or expired join token" "joining with a token deleted on the other auth"
JOIN_TOKEN="$(btctl nodes add --roles=node --ttl=10m | awk '/invite token/ {print $NF}')"
[ -n "$JOIN_TOKEN" ] || fail "tctl nodes add on b printed no token"
pass "a token made on one auth server is listed and deleted on the other; a deleted one joins nowhere"

# --- the hosts configured with one auth server learn the other before the failure -------
# (the others have both in their configuration already)
for h in n1 n2; do
  knows() { grep -q "127.0.0.1:$A_AUTH" "$WORK/$1-data/authservers.json" && grep -q "127.0.0.1:$B_AUTH" "$WORK/$1-data/authservers.json"; }
  wait_secs 75 knows "$h" || fail "$h did not learn both auth servers: $(cat "$WORK/$h-data/authservers.json" 2>&1)"
done

# --- kill -9 one auth server and one proxy -------------------------------------------------
kill -KILL "$A_PID" "$P1_PID"
sleep 1
wait_secs 15 bash -c "curl -s 'http://127.0.0.1:$LB_STATS/stats;csv' | grep -q '^proxies_web,p1,.*DOWN'" ||
  fail "haproxy did not take p1 out"
out="$(ls_ok "n1 n2 n3 ")" || fail "tsh ls after the kills: $out"
on_all || fail "tsh ssh after the kills: $(cat "$WORK/tsh-ssh.err")"
sleep 16  # past a heartbeat TTL: every node must still be heartbeating (to b)
listed btctl 3 || fail "tctl nodes ls on b after the kills: $(btctl nodes ls 2>&1)"
rm -rf "$HOME/.tsh"
lb_login || fail "tsh login after the kills: $(cat "$WORK/lb-login.out")"
on_all || fail "tsh ssh after logging in again: $(cat "$WORK/tsh-ssh.err")"
host_config n4 "[127.0.0.1:$A_AUTH, 127.0.0.1:$B_AUTH]" "$JOIN_TOKEN" "$(node_services "$N4" four)"
start n4
wait_secs 40 listed btctl 4 || fail "n4 did not join through b: $(tail -5 "$LAST_LOG")"
wait_secs 20 on_all || fail "tsh ssh after n4 joined: $(cat "$WORK/tsh-ssh.err")"
on_n4() { [ "$(tsh ssh "$LOGIN@n4" 'echo $((6*7))' </dev/null 2>"$WORK/tsh-ssh.err")" = 42 ]; }
# The proxies refresh their node list from auth every 2 s.
wait_secs 20 on_n4 || fail "tsh ssh n4: $(cat "$WORK/tsh-ssh.err")"
pass "kill -9 of auth a and proxy p1: tsh ls, tsh ssh, tsh login, tctl nodes ls and a join keep working"

# --- restarted, they rejoin ----------------------------------------------------------------
start a; A_LOG=$LAST_LOG
start p1
wait_secs 30 atctl status || fail "a did not restart: $(tail -5 "$A_LOG")"
wait_secs 30 listed atctl 4 || fail "the restarted a does not list the nodes: $(atctl nodes ls 2>&1)"
wait_secs 30 up proxies_web p1 || fail "haproxy does not see the restarted p1"
out="$(login_via "$P1_WEB" joe joe-password-1 "$(fresh_otp "$JOE_SECRET" "$JOE_STEP")" 2>&1)" ||
  fail "login through the restarted p1: $out"
JOE_STEP=$(($(date +%s) / 30))
out="$(ls_ok "n1 n2 n3 n4 ")" || fail "tsh ls through the restarted p1: $out"
on_all || fail "tsh ssh through the restarted p1: $(cat "$WORK/tsh-ssh.err")"
kill -TERM "$B_PID"; wait_exit "$B_PID" 30
wait_secs 30 grep -q "talking to auth at 127.0.0.1:$A_AUTH" "$WORK"/n2-*.log ||
  fail "n2 (configured with b only) did not fail over to the restarted a"
wait_secs 20 on_all || fail "tsh ssh with only the restarted a: $(cat "$WORK/tsh-ssh.err")"
listed atctl 4 || fail "tctl nodes ls on the restarted a with b stopped: $(atctl nodes ls 2>&1)"
pass "the restarted auth and proxy rejoin: they serve logins and sessions, and b can go"
