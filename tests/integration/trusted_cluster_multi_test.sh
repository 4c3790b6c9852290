#!/usr/bin/env bash
# Several leaf clusters on one root (Teleport's TestMultiplexingTrustedClusters), one
# of them behind a NAT-like boundary: "nat" runs in a network namespace of its own,
# joined to the root's only by a veth pair; its node listens on the namespace's
# loopback, which the root cannot reach at all -- only the reverse tunnel works.
source "$(dirname "$0")/lib.sh"

T="$TP_BIN/teleport"
LOGIN="$(id -un)"
unset SSH_AUTH_SOCK SSH_AGENT_PID TELEPORT_PROXY TELEPORT_USER TELEPORT_HOME TELEPORT_CLUSTER
unset HTTPS_PROXY HTTP_PROXY https_proxy http_proxy NO_PROXY no_proxy
export HOME="$WORK/home"
mkdir -p "$HOME"
TOKEN="multi-token-$RANDOM$RANDOM"
tsh() { timeout 60 "$TP_BIN/tsh" "$@"; }

# --- the namespace: 10.231.<n>.1 (root side) <-> 10.231.<n>.2 (nat side) ------------
NS="tp-nat-$$"
N=$(($$ % 250 + 1))
HOST_IP="10.231.$N.1" NS_IP="10.231.$N.2"
VETH="tpv$$"
ip netns add "$NS" || fail "ip netns add (needs root and iproute2)"
CLEANUP_CMDS+=("ip netns del $NS" "ip link del $VETH")
ip link add "$VETH" type veth peer name "${VETH}n" netns "$NS" || fail "ip link add veth"
ip addr add "$HOST_IP/30" dev "$VETH" && ip link set "$VETH" up || fail "host side of the veth"
ip netns exec "$NS" ip addr add "$NS_IP/30" dev "${VETH}n" || fail "namespace side of the veth"
ip netns exec "$NS" ip link set "${VETH}n" up && ip netns exec "$NS" ip link set lo up ||
  fail "bringing the namespace's links up"
pass "network namespace $NS ($NS_IP) reachable from $HOST_IP only"

# write_config <name> <nodename> <bind ip> <web/tunnel ip> [tokens]: ports from free_port
# (the namespace's ports are free there: it has nothing else).
write_config() {
  local name="$1"
  cat >"$WORK/$name.yaml" <<YAML
teleport:
  nodename: $2
  data_dir: $WORK/$name-data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: $name
  listen_addr: $3:$(free_port)
${5:-}
ssh_service:
  enabled: yes
  listen_addr: $3:$(free_port)
proxy_service:
  enabled: yes
  listen_addr: $3:$(free_port)
  web_listen_addr: $4:$(free_port)
  tunnel_listen_addr: $4:$(free_port)
YAML
}
port_of() { awk -v k="$2:" '$1 == k {split($2, a, ":"); print a[2]}' "$WORK/$1.yaml"; }
write_config main mainnode "$HOST_IP" "$HOST_IP" "  tokens:
  - trusted_cluster:$TOKEN"
M_WEB="$(port_of main web_listen_addr)" M_TUN="$(port_of main tunnel_listen_addr)"
write_config west westnode 127.0.0.1 127.0.0.1
write_config north northnode 127.0.0.1 127.0.0.1
write_config nat natnode 127.0.0.1 127.0.0.1

declare -A PID_OF
start_bg "$WORK/main.log" "$T" start -c "$WORK/main.yaml"
PID_OF[main]=$LAST_PID
for c in west north; do
  start_bg "$WORK/$c.log" "$T" start -c "$WORK/$c.yaml" --insecure
  PID_OF[$c]=$LAST_PID
done
# ip netns exec execs teleport: the PID is teleport's.
start_bg "$WORK/nat.log" ip netns exec "$NS" "$T" start -c "$WORK/nat.yaml" --insecure
PID_OF[nat]=$LAST_PID
for c in main west north nat; do
  wait_for 30 grep -q "reverse tunnels on" "$WORK/$c.log" || fail "$c did not start"
done
ctl() {  # <cluster> <tctl args...>
  local c="$1"; shift
  if [ "$c" = nat ]; then
    timeout 70 ip netns exec "$NS" "$TP_BIN/tctl" -c "$WORK/nat.yaml" "$@"
  else
    timeout 70 "$TP_BIN/tctl" -c "$WORK/$c.yaml" "$@"
  fi
}
for c in main west north nat; do wait_for 20 ctl "$c" status || fail "tctl status on $c"; done
NAT_NODE="$(port_of nat listen_addr | head -n 2 | tail -n 1)"
if timeout 3 bash -c "echo > /dev/tcp/127.0.0.1/$NAT_NODE" 2>/dev/null; then
  # Only a coincidence of ports could answer here; it must not be the nat node.
  ssh-keyscan -p "$NAT_NODE" 127.0.0.1 2>/dev/null | grep -q . && fail "the nat node is reachable from the root"
fi
pass "main, west, north and nat (in the namespace) are up"

for c in west north nat; do
  cat >"$WORK/tc-$c.yaml" <<YAML
kind: trusted_cluster
version: v2
metadata:
  name: main
spec:
  enabled: true
  token: $TOKEN
  tunnel_addr: $HOST_IP:$M_TUN
  web_proxy_addr: $HOST_IP:$M_WEB
YAML
  ctl "$c" create "$WORK/tc-$c.yaml" >/dev/null || fail "trust on $c"
done
pass "west, north and nat trust main"

tctl() { ctl main "$@"; }
JOE_PASS="joe-pass-$RANDOM$RANDOM"
web_signup "https://$HOST_IP:$M_WEB" joe "$LOGIN" "$JOE_PASS"
tsh_login "$HOST_IP:$M_WEB" joe "$JOE_PASS" "$(fresh_otp "$SIGNUP_SECRET" "$SIGNUP_STEP")"
all_online() {
  local out
  out="$(tsh clusters 2>/dev/null)" || return 1
  for c in main west north nat; do
    awk -v c="$c" '$1 == c && $2 == "online" {f = 1} END {exit !f}' <<<"$out" || return 1
  done
}
wait_for 40 all_online || fail "not every cluster online: $(tsh clusters 2>&1)"
[ "$(tsh clusters | awk 'NR > 2' | wc -l)" = 4 ] || fail "tsh clusters should list 4 clusters: $(tsh clusters)"
pass "tsh clusters lists main and three leaves online"

for c in west north nat; do
  out="$(tsh --cluster="$c" ls)" || fail "tsh --cluster=$c ls: $out"
  assert_contains "$out" "${c}node" "tsh --cluster=$c ls"
  for other in west north nat; do
    [ "$other" = "$c" ] || assert_not_contains "$out" "${other}node" "tsh --cluster=$c ls lists only $c"
  done
  # The leaf's node accepts main's users from its first heartbeat after the trust (5 s).
  leaf_ssh() { tsh --cluster="$1" ssh "$LOGIN@${1}node" "echo hello-from-$1" </dev/null 2>&1 | grep -q "hello-from-$1"; }
  wait_for 15 leaf_ssh "$c" ||
    fail "tsh --cluster=$c ssh: $(tsh --cluster="$c" ssh "$LOGIN@${c}node" true </dev/null 2>&1)"
done
pass "each leaf's nodes, the namespaced one included, are reached through its own tunnel"

# The leaves are independent: one leaf going away leaves the others online.
kill -TERM "${PID_OF[west]}"
west_offline() { tsh clusters 2>/dev/null | awk '$1 == "west" && $2 == "offline" {f = 1} END {exit !f}'; }
wait_for 30 west_offline || fail "west not offline after it stopped: $(tsh clusters 2>&1)"
out="$(tsh --cluster=north ssh "$LOGIN@northnode" 'echo still-here' </dev/null 2>&1)" || fail "north after west left: $out"
assert_contains "$out" "still-here" "north after west left"
out="$(tctl get rc)"
assert_contains "$out" "name: nat" "tctl get rc lists nat"
pass "one leaf stopping leaves the others online"
