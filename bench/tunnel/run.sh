#!/usr/bin/env bash
# bench/tunnel: the cost of a reverse tunnel. Cluster "main" (auth, proxy, node) and
# leaf "east" (auth, proxy, node) trusting main, on 127.0.0.1; the same OpenSSH
# client reaches main's node through main's proxy ("direct": proxy:%h:%p) and
# east's node through main's proxy and east's tunnel ("tunnel": proxy:%h:%p@east),
# and prints both and the ratios tunnel/direct in one run:
#   latency of `ssh node true` (median of LAT_RUNS), and TP_MIB MiB upload MB/s.
# Then LEAVES extra leaf clusters (auth + proxy each) join main and the time of the
# tp-clusters query (what `tsh clusters` runs) is printed with all of them online.
# Goals (issue 11): latency <= 1.3x, throughput >= 0.8x, 50 leaves listed < 1 s.
#   bench/tunnel/run.sh | QUICK=1 bench/tunnel/run.sh | LEAVES=0 bench/tunnel/run.sh
# Builds nothing: run scripts/build first (TP_BUILD_DIR, default build/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${TP_BUILD_DIR:-$root/build}/bin"
[ -x "$bin/teleport" ] || { echo "no $bin/teleport: run scripts/build first" >&2; exit 2; }
QUICK="${QUICK:-0}"
LAT_RUNS="${LAT_RUNS:-$([ "$QUICK" = 1 ] && echo 5 || echo 30)}"
TP_MIB="${TP_MIB:-$([ "$QUICK" = 1 ] && echo 128 || echo 1024)}"
LEAVES="${LEAVES:-$([ "$QUICK" = 1 ] && echo 5 || echo 50)}"
CIPHER="${CIPHER:-aes128-gcm@openssh.com}"

work="$(mktemp -d /tmp/tp-bench-tunnel.XXXXXX)"
chmod 700 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
token="bench-token-$RANDOM$RANDOM"

# config <name> <node: yes|no> [extra auth lines]
config() {
  cat >"$work/$1.yaml" <<YAML
teleport:
  nodename: ${1}node
  data_dir: $work/$1
  log:
    output: stderr
    severity: WARN
auth_service:
  enabled: yes
  cluster_name: $1
  listen_addr: 127.0.0.1:$(port)
${3:-}
ssh_service:
  enabled: $2
  listen_addr: 127.0.0.1:$(port)
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$(port)
  web_listen_addr: 127.0.0.1:$(port)
  tunnel_listen_addr: 127.0.0.1:$(port)
YAML
}
addr_of() { awk -v k="$2:" '$1 == k {print $2}' "$work/$1.yaml" | sed -n "${3:-1}p"; }
start() {  # <name> [flags]
  "$bin/teleport" start -c "$work/$1.yaml" "${@:2}" >"$work/$1.log" 2>&1 &
  pids+=($!)
}
ctl() { timeout 60 "$bin/tctl" -c "$work/$1.yaml" "${@:2}"; }
ready() { for _ in $(seq 1 200); do ctl "$1" status >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
trust() {  # <leaf>: trusted_cluster resource for main
  cat >"$work/tc-$1.yaml" <<YAML
kind: trusted_cluster
version: v2
metadata:
  name: main
spec:
  enabled: true
  token: $token
  tunnel_addr: $(addr_of main tunnel_listen_addr)
  web_proxy_addr: $(addr_of main web_listen_addr)
YAML
  ctl "$1" create "$work/tc-$1.yaml" >/dev/null
}

config main yes "  tokens:
  - trusted_cluster:$token"
config east yes
start main
ready main || { cat "$work/main.log" >&2; exit 2; }
start east --insecure
ready east || { cat "$work/east.log" >&2; exit 2; }
trust east

login="$(id -un)"
printf 'kind: user\nversion: v2\nmetadata:\n  name: bench\nspec:\n  roles: [admin]\n  traits:\n    logins: [%s]\n' \
  "$login" >"$work/user.yaml"
ctl main create "$work/user.yaml" >/dev/null
ctl main auth sign --user=bench --out="$work/bench" --ttl=2h >/dev/null
pin() {  # <cluster> <role>
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ssh_key"])' \
    "$work/$1/identity/$2.json" >"$work/$1-$2.key"
  chmod 600 "$work/$1-$2.key"
  ssh-keygen -y -f "$work/$1-$2.key"
}
proxy_ssh="$(addr_of main listen_addr 3)"
echo "[127.0.0.1]:${proxy_ssh##*:} $(pin main proxy)" >"$work/known_hosts"
echo "mainnode $(pin main node)" >>"$work/known_hosts"
echo "eastnode $(pin east node)" >>"$work/known_hosts"
opts=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$work/bench"
  -o CertificateFile="$work/bench-cert.pub" -o UserKnownHostsFile="$work/known_hosts"
  -o StrictHostKeyChecking=yes -o Ciphers="$CIPHER" -o LogLevel=ERROR)
hop="ssh ${opts[*]} -p ${proxy_ssh##*:} %r@127.0.0.1 -s proxy:%h:%p"
to() {  # <direct|tunnel> <ssh args...>
  local route="$1"; shift
  local pc="$hop"
  [ "$route" = tunnel ] && pc="$hop@east"
  ssh "${opts[@]}" -o "ProxyCommand=$pc" "$@"
}
node_of() { [ "$1" = tunnel ] && echo eastnode || echo mainnode; }
for _ in $(seq 1 100); do to tunnel "$login@eastnode" true 2>/dev/null && break; sleep 0.3; done
to direct "$login@mainnode" true || { echo "direct route fails" >&2; exit 2; }
to tunnel "$login@eastnode" true || { echo "tunnel route fails" >&2; tail "$work/east.log" >&2; exit 2; }

median_ms() {  # <route>
  local route="$1" n; local -a t=()
  for _ in $(seq 1 "$LAT_RUNS"); do
    n=$(now_ms); to "$route" "$login@$(node_of "$route")" true; t+=($(($(now_ms) - n)))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
upload_mbs() {  # <route>
  local route="$1" n ms
  n=$(now_ms)
  head -c "$((TP_MIB * 1048576))" /dev/zero | to "$route" "$login@$(node_of "$route")" 'cat > /dev/null'
  ms=$(($(now_ms) - n))
  awk -v b="$((TP_MIB * 1048576))" -v ms="$ms" 'BEGIN {printf "%.1f", b / 1e6 / (ms / 1000)}'
}
lat_d="$(median_ms direct)" lat_t="$(median_ms tunnel)"
tp_d="$(upload_mbs direct)" tp_t="$(upload_mbs tunnel)"

printf '\n%-34s %12s %12s %10s\n' "measurement" "direct" "tunnel" "ratio"
printf '%-34s %12s %12s %10s\n' "ssh node true, median ms ($LAT_RUNS)" "$lat_d" "$lat_t" \
  "$(awk -v a="$lat_t" -v b="$lat_d" 'BEGIN {printf "%.2fx", a / b}')"
printf '%-34s %12s %12s %10s\n' "upload $TP_MIB MiB, MB/s ($CIPHER)" "$tp_d" "$tp_t" \
  "$(awk -v a="$tp_t" -v b="$tp_d" 'BEGIN {printf "%.2fx", a / b}')"

if [ "$LEAVES" -gt 0 ]; then
  for i in $(seq 1 "$LEAVES"); do
    config "leaf$i" no
    start "leaf$i" --insecure
  done
  for i in $(seq 1 "$LEAVES"); do ready "leaf$i" && trust "leaf$i" || echo "leaf$i failed" >&2; done
  clusters() { ssh "${opts[@]}" -p "${proxy_ssh##*:}" "$login@127.0.0.1" -s tp-clusters; }
  want=$((LEAVES + 2))
  for _ in $(seq 1 300); do
    [ "$(clusters | grep -o '"online"' | wc -l)" -ge "$want" ] && break
    sleep 0.5
  done
  online="$(clusters | grep -o '"online"' | wc -l)"
  n=$(now_ms)
  for _ in 1 2 3 4 5; do clusters >/dev/null; done
  per=$(( ($(now_ms) - n) / 5 ))
  printf '%-34s %12s %12s %10s\n' "tp-clusters, $online of $want online" "" "${per} ms" \
    "$([ "$per" -lt 1000 ] && echo "< 1 s" || echo ">= 1 s")"
  printf '%-34s %12s\n' "root proxy+auth RSS with $LEAVES leaves" "$(ps -o rss= -p "${pids[0]}" | awk '{printf "%.0f MiB", $1/1024}')"
fi
