#!/usr/bin/env bash
# bench/node: our node service against OpenSSH's sshd in the same run, with the
# same OpenSSH client and cipher. It starts a teleport (auth + node) on
# 127.0.0.1, gives the shared baseline script (../shared/bench/openssh_baseline.sh,
# set OPENSSH_BASELINE to point elsewhere) our node as its second target, and the
# script prints both columns and the ratios: latency of `ssh node true`,
# upload/download MB/s per cipher, concurrent sessions and memory per session.
#   bench/node/run.sh                 full run (~3-5 min on 2 cores; needs root)
#   QUICK=1 bench/node/run.sh         smoke run
#   WITH_PROXY=1 bench/node/run.sh    also start the proxy and measure the jump rows
#                                     through it (what bench/proxy/run.sh does)
# Builds nothing: run scripts/build first (TP_BUILD_DIR, default build/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${TP_BUILD_DIR:-$root/build}/bin"
baseline="${OPENSSH_BASELINE:-$root/../shared/bench/openssh_baseline.sh}"
[ -x "$bin/teleport" ] || { echo "no $bin/teleport: run scripts/build first" >&2; exit 2; }
[ -f "$baseline" ] || { echo "no baseline script at $baseline (set OPENSSH_BASELINE)" >&2; exit 2; }

work="$(mktemp -d /tmp/tp-bench-node.XXXXXX)"
chmod 700 "$work"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
auth_port="$(port)"
ssh_port="$(port)"
proxy_port="$(port)"
web_port="$(port)"
tunnel_port="$(port)"
with_proxy="${WITH_PROXY:-0}"
proxy_enabled=no
[ "$with_proxy" = 1 ] && proxy_enabled=yes
cat >"$work/teleport.yaml" <<YAML
teleport:
  nodename: benchnode
  data_dir: $work/data
  log:
    output: stderr
    severity: WARN
  connection_limits:
    max_connections: 20000
    max_users: 1000
auth_service:
  enabled: yes
  cluster_name: bench.test
  listen_addr: 127.0.0.1:$auth_port
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$ssh_port
proxy_service:
  enabled: $proxy_enabled
  listen_addr: 127.0.0.1:$proxy_port
  web_listen_addr: 127.0.0.1:$web_port
  tunnel_listen_addr: 127.0.0.1:$tunnel_port
YAML
"$bin/teleport" start -c "$work/teleport.yaml" >"$work/teleport.log" 2>&1 &
pid=$!
tctl() { "$bin/tctl" -c "$work/teleport.yaml" "$@"; }
for _ in $(seq 1 100); do tctl status >/dev/null 2>&1 && break; sleep 0.1; done
tctl status >/dev/null || { cat "$work/teleport.log" >&2; exit 2; }

login="$(id -un)"
printf 'kind: user\nversion: v2\nmetadata:\n  name: bench\nspec:\n  roles: [admin]\n  traits:\n    logins: [%s]\n' \
  "$login" >"$work/user.yaml"
tctl create "$work/user.yaml" >/dev/null
tctl auth sign --user=bench --out="$work/bench" --ttl=2h >/dev/null
# The node presents its plain host key (libssh cannot present host certificates):
# pin it, as the cluster registry announces it.
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ssh_key"])' \
  "$work/data/identity/node.json" >"$work/hostkey"
chmod 600 "$work/hostkey"
node_key="$(ssh-keygen -y -f "$work/hostkey")"
echo "[127.0.0.1]:$ssh_port,benchnode,[benchnode]:$ssh_port $node_key" >"$work/known_hosts"
proxy_env=()
if [ "$with_proxy" = 1 ]; then
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ssh_key"])' \
    "$work/data/identity/proxy.json" >"$work/proxykey"
  chmod 600 "$work/proxykey"
  echo "[127.0.0.1]:$proxy_port $(ssh-keygen -y -f "$work/proxykey")" >>"$work/known_hosts"
  # tsh reaches nodes the same way: ProxyCommand with the proxy:host:port subsystem.
  proxy_env=(T2_PROXY_ADDR="127.0.0.1:$proxy_port" T2_PROXY_MODE="${T2_PROXY_MODE:-subsystem}"
    T2_NODE_HOSTNAME=benchnode)
  for _ in $(seq 1 50); do
    ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile="$work/known_hosts" -i "$work/bench" \
      -p "$proxy_port" "$login@127.0.0.1" -s tp-nodes 2>/dev/null | grep -q benchnode && break
    sleep 0.2
  done
fi

echo "teleport (pid $pid): node 127.0.0.1:$ssh_port${proxy_env:+, proxy 127.0.0.1:$proxy_port}; baseline: $baseline"
env T2_NAME=teleport-cpp T2_NODE_ADDR="127.0.0.1:$ssh_port" T2_USER="$login" \
  T2_IDENTITY="$work/bench" T2_CERT="$work/bench-cert.pub" T2_KNOWN_HOSTS="$work/known_hosts" \
  T2_SERVER_PIDS="$pid" "${proxy_env[@]}" bash "$baseline"
