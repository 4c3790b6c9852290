#!/usr/bin/env bash
# bench/audit: what session recording costs. Two teleports (auth + node) on
# 127.0.0.1, one with session_recording: node, one with off; the same OpenSSH
# client pulls the same bulk terminal output (base64 of random bytes through a
# pty, ssh -tt) from each, alternating, and the medians and their ratio are
# printed (target: recording costs <= 5%). Then it runs bench_audit (durable
# audit appends per second, 1/16/256 senders, batched vs one fsync each).
#   bench/audit/run.sh          full run (~1-2 min)
#   QUICK=1 bench/audit/run.sh  smoke run
# Builds nothing: run scripts/build first (TP_BUILD_DIR, default build/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${TP_BUILD_DIR:-$root/build}/bin"
[ -x "$bin/teleport" ] || { echo "no $bin/teleport: run scripts/build first" >&2; exit 2; }
quick="${QUICK:-0}"
mb=$([ "$quick" = 1 ] && echo 20 || echo 100)
rounds=$([ "$quick" = 1 ] && echo 2 || echo 5)

work="$(mktemp -d /tmp/tp-bench-audit.XXXXXX)"
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
login="$(id -un)"

# start <name> <mode>: a teleport with session_recording: <mode>; sets SSH_PORT_<name>.
start() {
  local name="$1" mode="$2" auth ssh
  auth="$(port)"; ssh="$(port)"
  cat >"$work/$name.yaml" <<YAML
teleport:
  nodename: $name
  data_dir: $work/$name
  log:
    output: stderr
    severity: WARN
auth_service:
  enabled: yes
  cluster_name: $name.test
  listen_addr: 127.0.0.1:$auth
  session_recording: "$mode"
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$ssh
proxy_service:
  enabled: no
YAML
  "$bin/teleport" start -c "$work/$name.yaml" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do "$bin/tctl" -c "$work/$name.yaml" status >/dev/null 2>&1 && break; sleep 0.2; done
  printf 'kind: user\nversion: v2\nmetadata:\n  name: bench\nspec:\n  roles: [admin]\n  traits:\n    logins: [%s]\n' \
    "$login" >"$work/user.yaml"
  "$bin/tctl" -c "$work/$name.yaml" create -f "$work/user.yaml" >/dev/null
  "$bin/tctl" -c "$work/$name.yaml" auth sign --user=bench --out="$work/$name-key" --ttl=1h >/dev/null
  eval "SSH_PORT_$name=$ssh"
}
start rec node
start off off

# pull <name>: seconds to receive the bulk output through a pty.
pull() {
  local name="$1" p
  p="$(eval echo "\$SSH_PORT_$name")"
  python3 - "$p" "$work/$name-key" "$login" "$mb" <<'PY'
import subprocess, sys, time
port, key, login, mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cmd = ["ssh", "-F", "/dev/null", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
       "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
       "-o", "LogLevel=ERROR", "-tt", "-i", key, "-p", port, login + "@127.0.0.1",
       f"head -c {mb * 1000000} /dev/urandom | base64 -w 76"]
t = time.monotonic()
out = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, check=True).stdout
dt = time.monotonic() - t
assert len(out) > mb * 1000000, len(out)
print(f"{dt:.3f} {len(out)}")
PY
}
pull rec >/dev/null; pull off >/dev/null  # warm up (shells, page cache)
rec_times=(); off_times=(); bytes=0
for _ in $(seq 1 "$rounds"); do
  read -r t bytes < <(pull rec); rec_times+=("$t")
  read -r t bytes < <(pull off); off_times+=("$t")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rec_med="$(median "${rec_times[@]}")"; off_med="$(median "${off_times[@]}")"
recorded="$(du -sb "$work/rec/log/sessions" 2>/dev/null | cut -f1)"
python3 - "$bytes" "$rec_med" "$off_med" "$recorded" "$rounds" <<'PY'
import sys
b, rec, off, stored, rounds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4] or 0), sys.argv[5]
print(f"bulk pty output, {b/1e6:.0f} MB per session, median of {rounds}:")
print(f"  session_recording: off   {b/off/1e6:8.1f} MB/s")
print(f"  session_recording: node  {b/rec/1e6:8.1f} MB/s   (recorded {stored/1e6:.0f} MB on auth's disk)")
loss = (rec - off) / off * 100
print(f"  recording cost: {loss:+.1f}% time ({'PASS' if loss <= 5 else 'MISS'}: target <= 5%)")
PY
echo
"$bin/bench_audit" $([ "$quick" = 1 ] && echo --quick)
