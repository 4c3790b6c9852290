#!/usr/bin/env bash
# storage.type: etcd with a real etcd (tests/tools/tp_etcd: Debian's etcd-server on
# loopback, client-certificate TLS). Two auth servers of one cluster share it: one CA,
# the same users and nodes on both; a third with another cluster_name is refused; an
# auth started while etcd is down says so, retries, and comes up with etcd; bad
# storage settings stop `teleport start` with the setting named.
source "$(dirname "$0")/lib.sh"

T="$TP_BIN/teleport"
LOGIN="$(id -un)"
unset SSH_AUTH_SOCK SSH_AGENT_PID TELEPORT_PROXY TELEPORT_USER TELEPORT_HOME

start_bg "$WORK/etcd.log" "$TP_BIN/tp_etcd" "$WORK/etcd.state"
ETCD_TOOL=$LAST_PID
wait_secs 30 test -s "$WORK/etcd.state" || fail "etcd did not start: $(tail -5 "$WORK/etcd.log")"
state() { sed -n "s/^$1=//p" "$WORK/etcd.state"; }
ETCD_URL="$(state url)"

A_AUTH="$(free_port)" A_NODE="$(free_port)" A_SSH="$(free_port)" A_WEB="$(free_port)" A_TUN="$(free_port)"
B_AUTH="$(free_port)" C_AUTH="$(free_port)" D_AUTH="$(free_port)"
# write_config <name> <cluster> <auth port> [cert file] [extra services yaml]
write_config() {
  cat >"$WORK/$1.yaml" <<YAML
teleport:
  nodename: $1
  data_dir: $WORK/$1-data
  log:
    output: stderr
    severity: INFO
$(etcd_storage_yaml "$WORK/etcd.state" /teleport-test "${4:-}")
auth_service:
  enabled: yes
  cluster_name: $2
  listen_addr: 127.0.0.1:$3
  tokens:
  - node,proxy:etcd-node-token
${5:-ssh_service:
  enabled: no
proxy_service:
  enabled: no}
YAML
}
write_config a shared "$A_AUTH" "" "ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$A_NODE
  labels:
    env: etcd
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$A_SSH
  web_listen_addr: 127.0.0.1:$A_WEB
  tunnel_listen_addr: 127.0.0.1:$A_TUN"
write_config b shared "$B_AUTH"
write_config c another "$C_AUTH"
write_config d shared "$D_AUTH"
atctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/a.yaml" "$@"; }
btctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/b.yaml" "$@"; }

# --- bad settings stop teleport start with the setting named ----------------------------
write_config bad shared "$(free_port)" "$WORK/no-such-cert.pem"
rc=0
out="$(timeout 30 "$T" start -c "$WORK/bad.yaml" 2>&1)" || rc=$?
[ "$rc" != 0 ] || fail "teleport started with a missing etcd client certificate"
assert_contains "$out" "no-such-cert.pem" "the error names the certificate file"
sed "s|$(state cert)|$(state foreign_cert)|; s|$(state key)|$(state foreign_key)|" "$WORK/b.yaml" >"$WORK/foreign.yaml"
sed -i "s|$WORK/b-data|$WORK/foreign-data|" "$WORK/foreign.yaml"
rc=0
out="$(timeout 90 "$T" start -c "$WORK/foreign.yaml" 2>&1)" || rc=$?
[ "$rc" != 0 ] || fail "teleport started with a client certificate etcd does not trust"
assert_contains "$out" "rejected the client certificate" "a foreign client certificate"
pass "a missing certificate file and a certificate etcd refuses stop teleport start, named"

# --- two auth servers of one cluster on one etcd ---------------------------------------
start_bg "$WORK/a.log" "$T" start -c "$WORK/a.yaml"
wait_secs 30 grep -q "reverse tunnels on" "$WORK/a.log" || fail "a did not start: $(tail -5 "$WORK/a.log")"
start_bg "$WORK/b.log" "$T" start -c "$WORK/b.yaml"
wait_secs 30 btctl status || fail "b did not start: $(tail -5 "$WORK/b.log")"
grep -q "loaded certificate authorities" "$WORK/b.log" || fail "b created its own CAs: $(grep -i "certificate authorities" "$WORK/b.log")"
pin() { "$1" status | awk '/^CA pin/ {print $3}'; }
[ -n "$(pin atctl)" ] && [ "$(pin atctl)" = "$(pin btctl)" ] || fail "a and b have different CAs: $(pin atctl) vs $(pin btctl)"
pass "the second auth server loads the cluster's CAs from etcd (same CA pin)"

node_on() { "$1" nodes ls | awk '$1 == "a" {f = 1} END {exit !f}'; }
wait_secs 20 node_on btctl || fail "b does not list a's node: $(btctl nodes ls 2>&1)"
tctl() { btctl "$@"; }
cluster_user carol "$LOGIN"
chmod 600 "$WORK/carol"
atctl get users | grep -q "name: carol" || fail "a does not see the user created through b"
ssh_ok() {
  timeout 20 ssh -F /dev/null -o IdentitiesOnly=yes -i "$WORK/carol" -o CertificateFile="$WORK/carol-cert.pub" \
    -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR -o "ProxyCommand=ssh -F /dev/null -o IdentitiesOnly=yes -i $WORK/carol -o CertificateFile=$WORK/carol-cert.pub -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $A_SSH %r@127.0.0.1 -s proxy:%h:%p" \
    -p "$A_NODE" "$LOGIN@127.0.0.1" 'echo $((6*7))' </dev/null 2>"$WORK/ssh.err" | grep -qx 42
}
wait_secs 20 ssh_ok || fail "a certificate signed by b does not work on a's proxy and node: $(cat "$WORK/ssh.err")"
pass "users and nodes are shared: b lists a's node; b's user logs in through a's proxy"

# --- a node and a proxy configured with one auth server learn of the other --------------
# (data_dir/authservers.json) and fail over to it when the first dies.
N_NODE="$(free_port)" P_SSH="$(free_port)" P_WEB="$(free_port)" P_TUN="$(free_port)"
cat >"$WORK/n.yaml" <<YAML
teleport:
  nodename: n
  data_dir: $WORK/n-data
  auth_token: etcd-node-token
  auth_servers: [127.0.0.1:$A_AUTH]
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: no
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$N_NODE
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$P_SSH
  web_listen_addr: 127.0.0.1:$P_WEB
  tunnel_listen_addr: 127.0.0.1:$P_TUN
YAML
start_bg "$WORK/n.log" "$T" start -c "$WORK/n.yaml"
N_PID=$LAST_PID
n_listed() { "$1" nodes ls | awk '$1 == "n" {f = 1} END {exit !f}'; }
wait_secs 30 n_listed btctl || fail "n did not join: $(tail -5 "$WORK/n.log")"
# via_n <proxy port>: carol's command on n through a proxy.
via_n() {
  timeout 20 ssh -F /dev/null -o IdentitiesOnly=yes -i "$WORK/carol" -o CertificateFile="$WORK/carol-cert.pub" \
    -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR -o "ProxyCommand=ssh -F /dev/null -o IdentitiesOnly=yes -i $WORK/carol -o CertificateFile=$WORK/carol-cert.pub -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $1 %r@127.0.0.1 -s proxy:%h:%p" \
    -p "$N_NODE" "$LOGIN@127.0.0.1" 'echo $((6*7))' </dev/null 2>"$WORK/ssh.err" | grep -qx 42
}
wait_secs 20 via_n "$P_SSH" || fail "carol on n through n's proxy: $(cat "$WORK/ssh.err")"
learned() { grep -q "127.0.0.1:$B_AUTH" "$WORK/n-data/authservers.json" && grep -q "127.0.0.1:$A_AUTH" "$WORK/n-data/authservers.json"; }
wait_secs 30 learned || fail "n did not learn the auth servers: $(cat "$WORK/n-data/authservers.json" 2>&1)"
[ "$(stat -c %a "$WORK/n-data/authservers.json")" = 600 ] || fail "authservers.json is not 0600"
grep -q "the cluster's auth servers are" "$WORK/n.log" || fail "n does not log the auth servers it learned"
pass "n, configured with one auth server, learns both and keeps them in data_dir/authservers.json"
kill -KILL "$(pgrep -f "start -c $WORK/a.yaml" | head -n 1)"
sleep 1
wait_secs 30 grep -q "talking to auth at 127.0.0.1:$B_AUTH" "$WORK/n.log" ||
  fail "n did not fail over to b: $(tail -5 "$WORK/n.log")"
sleep 20  # longer than a node's heartbeat TTL: n must keep heartbeating, now to b
n_listed btctl || fail "n dropped out after a died: $(btctl nodes ls 2>&1)"
wait_secs 20 via_n "$P_SSH" || fail "carol on n after a died: $(cat "$WORK/ssh.err")"
tctl() { btctl "$@"; }
cluster_user dave "$LOGIN"
# After a restart, the learned list takes precedence over the configuration (which names only a).
kill -TERM "$N_PID"; wait_exit "$N_PID" 20
start_bg "$WORK/n2.log" "$T" start -c "$WORK/n.yaml"
N_PID=$LAST_PID
wait_secs 30 grep -q "talking to auth at 127.0.0.1:$B_AUTH" "$WORK/n2.log" ||
  fail "n restarted without a reachable configured auth: $(tail -5 "$WORK/n2.log")"
wait_secs 20 via_n "$P_SSH" || fail "carol on the restarted n: $(cat "$WORK/ssh.err")"
pass "kill -9 of one auth server: the node and proxy fail over to the other; sessions keep working; a restart uses authservers.json"

# --- another cluster_name on the same etcd is refused --------------------------------------
rc=0
out="$(timeout 30 "$T" start -c "$WORK/c.yaml" 2>&1)" || rc=$?
[ "$rc" != 0 ] || fail "an auth with another cluster_name started on the cluster's etcd"
assert_contains "$out" "this cluster was created as \"shared\"" "another cluster_name"
pass "an auth server with another cluster_name is refused"

# --- etcd down at start: the auth server says so and comes up with etcd ---------------------
kill -USR1 "$ETCD_TOOL"
wait_secs 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/${ETCD_URL##*:})" || fail "etcd did not stop"
start_bg "$WORK/d.log" "$T" start -c "$WORK/d.yaml"
D_PID=$LAST_PID
wait_secs 20 grep -q "unreachable.*retrying" "$WORK/d.log" || fail "d does not say etcd is down: $(tail -5 "$WORK/d.log")"
kill -0 "$D_PID" || fail "d exited while etcd was down"
kill -USR2 "$ETCD_TOOL"
wait_secs 60 timeout 20 "$TP_BIN/tctl" -c "$WORK/d.yaml" status || fail "d did not come up with etcd: $(tail -5 "$WORK/d.log")"
[ "$(pin btctl)" = "$(timeout 20 "$TP_BIN/tctl" -c "$WORK/d.yaml" status | awk '/^CA pin/ {print $3}')" ] ||
  fail "d does not have the cluster's CAs"
wait_secs 30 via_n "$P_SSH" || fail "the cluster after etcd restarted: $(cat "$WORK/ssh.err")"
pass "an auth started while etcd is down retries and comes up with it; the cluster works after etcd restarted"
